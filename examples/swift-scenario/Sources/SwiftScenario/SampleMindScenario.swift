import Cicada

/// The SampleMind AI suite of `examples/samplemind.yaml`, written with Cicada's Swift DSL: the same
/// classes, tasks, weights, waits, captures and checks, so that it compiles to the same plan (the test
/// `DSLTests.testSampleMindInSwiftCompilesToTheYAMLPlan` says so; it builds this very file).
func sampleMindScenario() -> Scenario {
    let userAuth = "Bearer ${token}"
    let adminAuth = "Bearer ${admin_token}"
    let upload = Request.post("/api/v1/audio/upload", multipart: [
        .generated("file", size: 256 * 1024, filename: "sample.wav", contentType: "audio/wav"),
        .field("genre", "${random.choice(electronic, ambient, rock, jazz, hip-hop)}"),
        .field("tags", "loop,demo,user-${user.id}"),
    ])
    .header("Authorization", userAuth)
    .capture("file_ids", json: "file_id", append: true, max: 20)
    .check(status: 201)
    let audioURL = "https://cdn.example.com/audio/${random.int(1, 1000)}.wav"

    return Scenario("samplemind", host: "http://127.0.0.1:8000",
                    run: RunDefaults(users: 100, spawnRate: 10, runTime: 60, timeout: 10, connectTimeout: 5),
                    // The seed's success criteria: p95 under 500 ms, fewer than 0.1 % of requests failed.
                    thresholds: [Threshold("http_req_duration", "p(95) < 500ms"), Threshold("http_req_failed", "rate < 0.001")]) {
        UserClass("AudioAnalysisUser", weight: 5, wait: .between(1, 5)) {
            OnStart {
                Request.post("/api/v1/auth/login", json: ["username": "user-${user.id}", "password": "demo"])
                    .named("/api/v1/auth/login")
                    .capture("token", json: "access_token")
                    .check(.jsonEquals(path: "token_type", value: "bearer"))
                upload
            }
            Task("analyze_audio", weight: 3) {
                Request.post("/api/v1/audio/analyze",
                             json: ["file_id": "${random(file_ids)}", "analysis_type": "${random.choice(full, quick)}"])
                    .header("Authorization", userAuth)
                    .when(set: "file_ids")
                    .capture("analysis_ids", json: "analysis_id", append: true, max: 20)
                    .check(status: 200)
                    .check(.jsonEquals(path: "status", value: "completed"))
            }
            Task("upload_file", weight: 1, tags: ["upload"]) { upload }
            Task("view_results", weight: 2) {
                Request.get("/api/v1/audio/results/${last(analysis_ids)}").named("/api/v1/audio/results/:id")
                    .header("Authorization", userAuth)
                    .when(set: "analysis_ids")
                    .check(.jsonExists(path: "analysis_id"))
            }
            Task("list_files", weight: 2) {
                Request.get("/api/v1/files?page=${random.int(1, 3)}&limit=20").named("/api/v1/files")
                    .header("Authorization", userAuth)
                    .check(.jsonExists(path: "items"))
            }
            Task("search_files", weight: 1) {
                Request.get("/api/v1/files/search?q=${random.choice(drums, bass loop, ambient pad)|url}")
                    .named("/api/v1/files/search")
                    .header("Authorization", userAuth)
            }
            OnStop {
                Request.get("/api/v1/auth/me").header("Authorization", userAuth)
            }
        }

        UserClass("APIUser", weight: 3, wait: .between(0.5, 2),
                  headers: ["X-API-Key": "${env.SAMPLEMIND_API_KEY:-demo-api-key}"], tags: ["api"]) {
            Task("api_analyze", weight: 5) {
                Request.post("/api/v1/audio/analyze", json: ["audio_url": .string(audioURL)]).check(status: 200)
            }
            Task("api_batch_process", weight: 2) {
                Request.post("/api/v1/batch", json: [
                    "audio_urls": [.string(audioURL), .string(audioURL), .string(audioURL)],
                    "webhook_url": "http://127.0.0.1:9000/webhook",
                ])
                .capture("job_id", json: "job_id")
                .capture("job_ids", json: "job_id", append: true, max: 10)
                .check(status: 202)
                Request.get("/api/v1/jobs/${job_id}").named("/api/v1/jobs/:id (until done)")
                    .repeating(until: .jsonEquals(path: "status", value: "done"), every: 1, max: 30)
            }
            Task("api_get_status", weight: 3) {
                Request.get("/api/v1/jobs/${random(job_ids)}").named("/api/v1/jobs/:id")
                    .when(set: "job_ids")
                    .check(.jsonMatches(path: "status", pattern: "^(queued|running|done)$"))
            }
        }

        UserClass("AdminUser", weight: 1, wait: .between(5, 10), tags: ["admin"]) {
            OnStart("admin_login") {
                Request.post("/api/v1/auth/login", json: ["username": "admin", "password": "admin"])
                    .capture("admin_token", json: "access_token")
                    .check(.jsonEquals(path: "role", value: "admin"))
            }
            Task("view_dashboard", weight: 3) {
                Request.get("/api/v1/admin/dashboard").header("Authorization", adminAuth)
            }
            Task("manage_users", weight: 1) {
                Request.get("/api/v1/admin/users").header("Authorization", adminAuth)
                Request.post("/api/v1/admin/users", json: ["username": "user-${uuid}", "role": "user"])
                    .header("Authorization", adminAuth)
                    .check(status: 201)
            }
            Task("system_health_check", weight: 2) {
                Request.get("/api/v1/admin/health").header("Authorization", adminAuth)
                    .check(.jsonEquals(path: "status", value: "ok"))
                Request.get("/health").continuingOnFailure()
            }
        }
    }
}
