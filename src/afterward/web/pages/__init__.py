"""Shopper pages: server-rendered, phone first, in the shopper's language, branded
per store. Each installed module brings its own (Module.pages): the tracking page
(/t/{token}) and order lookup (/track) come with tracking, the message preference
centre (/preferences/{token}) with messaging."""
