"""Case 2 peer: Locust's FastHttpUser, GET / then a wait of 1 to 5 s (as bench/scenarios/between.yaml)."""
import os

from locust import FastHttpUser, between, task

# bench/run sets BENCH_PATH ("/" or "/close"): Locust's --host takes no path.
PATH = os.environ.get("BENCH_PATH", "/")


class Browser(FastHttpUser):
    wait_time = between(1, 5)

    @task
    def index(self):
        self.client.get(PATH)
