"""`afterward demo`: a demo store with two years of generated history (build.py),
and the generated product pictures and logos the media router serves (images.py).
Generation needs numpy (the "demo" extra); images.py does not."""
