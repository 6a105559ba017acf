"""Case 1 and 4 peer: Locust's FastHttpUser (geventhttpclient), GET with no wait."""
import os

from locust import FastHttpUser, constant, task

# bench/run sets BENCH_PATH ("/" or "/close"): Locust's --host takes no path.
PATH = os.environ.get("BENCH_PATH", "/")


class Index(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get(PATH)
