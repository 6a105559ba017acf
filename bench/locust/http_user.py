"""Case 1 peer: Locust's requests-based HttpUser, GET with no wait."""
import os

from locust import HttpUser, constant, task

# bench/run sets BENCH_PATH ("/" or "/close"): Locust's --host takes no path.
PATH = os.environ.get("BENCH_PATH", "/")


class Index(HttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get(PATH)
