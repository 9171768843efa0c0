from afterward.privacy import section


@section("hello")
class Hello:
    @staticmethod
    def export(session, store_id, customer_id):
        return {"greetings": 0}

    @staticmethod
    def erase(session, store_id, customer_id):
        return {"hello": 0}
