from afterward.modules import Module, NavEntry

MODULE = Module(
    name="hello",
    api=("tests.modules_example.hello.routes:router",),
    admin=("tests.modules_example.hello.routes:admin",),
    nav=(NavEntry("Hello", "/admin/hello", "hello", 60),),
    cli=(("hello", "tests.modules_example.hello.cli:app"),),
    jobs=("tests.modules_example.hello.jobs",),
    privacy="tests.modules_example.hello.privacy",
    events=("hello.greeted",),
)
