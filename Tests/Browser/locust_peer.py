"""The locustfile of WebAPITests' real Locust: the same user as the test's scenario, GET /ok every 50 ms,
so that locust_web_api_client.py is checked against Locust itself before it drives Cicada."""
from locust import HttpUser, constant, task


class Browser(HttpUser):
    wait_time = constant(0.05)

    @task
    def ok(self):
        self.client.get("/ok")
