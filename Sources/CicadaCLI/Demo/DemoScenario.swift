/// The seed's load test, embedded in the binary so that `cicada demo` runs from any folder: the text of
/// `examples/samplemind.yaml`, byte for byte (a test compares the two; change the example, then run
/// `scripts/embed-demo-scenario` to copy it here).
enum DemoScenario {
    static let yaml = #"""
# The SampleMind AI load-testing suite (the seed's locustfile) against the API of
# ../shared/samplemind-api.md: three user classes, their tasks and weights, JWT log-in, uploads whose
# file ids are reused, API-key clients that submit batch jobs and poll them until they are done, and
# administrators. Against a server that keeps that contract it gets no 401, 403, 404, 415 or 422.
#
#   cicada validate examples/samplemind.yaml -u 100    # what it compiles to, without sending anything
#   cicada run examples/samplemind.yaml                # stage 1: 100 users, 10/s, 1 minute
#   cicada run examples/samplemind.yaml AdminUser      # only the administrators
#   cicada run examples/samplemind.yaml --exclude-tags upload
#   SAMPLEMIND_API_KEY=other-key cicada run examples/samplemind.yaml APIUser
name: samplemind
host: http://127.0.0.1:8000
run: {users: 100, spawn_rate: 10, run_time: 1m, timeout: 10s, connect_timeout: 5s}
# The seed's success criteria, in k6's spelling: `cicada run` exits 3 when one fails.
thresholds:
  http_req_duration: ["p(95) < 500ms"]
  http_req_failed: ["rate < 0.001"]   # fewer than 0.1 % of requests failed

# Shared parts, reused below with YAML aliases.
x-user-auth: &user-auth {Authorization: "Bearer ${token}"}
x-admin-auth: &admin-auth {Authorization: "Bearer ${admin_token}"}
x-upload: &upload
  method: POST
  path: /api/v1/audio/upload
  headers: *user-auth
  multipart:
    - {name: file, filename: sample.wav, content_type: audio/wav, size: 256KiB}
    - {name: genre, value: "${random.choice(electronic, ambient, rock, jazz, hip-hop)}"}
    - {name: tags, value: "loop,demo,user-${user.id}"}
  capture:
    - {var: file_ids, json: file_id, append: true, max: 20}
  check: {status: 201}

users:
  # Half the users: people analysing and browsing their audio, 1-5 s between actions.
  - name: AudioAnalysisUser
    weight: 5
    wait: between(1, 5)
    on_start:
      steps:
        - name: /api/v1/auth/login
          method: POST
          path: /api/v1/auth/login
          json: {username: "user-${user.id}", password: demo}
          capture:
            - {var: token, json: access_token}
          check: {json: {path: token_type, equals: bearer}}
        # A first upload, so that every task below has a file of this user's own to work on.
        - *upload
    tasks:
      - name: analyze_audio
        weight: 3
        method: POST
        path: /api/v1/audio/analyze
        headers: *user-auth
        if: ${file_ids}
        json:
          file_id: "${random(file_ids)}"
          analysis_type: "${random.choice(full, quick)}"
        capture:
          - {var: analysis_ids, json: analysis_id, append: true, max: 20}
        check:
          - {status: 200}
          - {json: {path: status, equals: completed}}
      - <<: *upload
        name: upload_file
        weight: 1
        tags: [upload]
      - name: view_results
        weight: 2
        path: /api/v1/audio/results/${last(analysis_ids)}
        endpoint: /api/v1/audio/results/:id
        headers: *user-auth
        if: ${analysis_ids}
        check: {json: {path: analysis_id, exists: true}}
      - name: list_files
        weight: 2
        path: /api/v1/files?page=${random.int(1, 3)}&limit=20
        endpoint: /api/v1/files
        headers: *user-auth
        check: {json: {path: "items", exists: true}}
      - name: search_files
        weight: 1
        path: /api/v1/files/search?q=${random.choice(drums, bass loop, ambient pad)|url}
        endpoint: /api/v1/files/search
        headers: *user-auth
    on_stop:
      path: /api/v1/auth/me
      headers: *user-auth

  # Three in ten: automated clients with an API key, 0.5-2 s apart.
  - name: APIUser
    weight: 3
    wait: between(0.5, 2)
    tags: [api]
    headers:
      X-API-Key: ${env.SAMPLEMIND_API_KEY:-demo-api-key}
    tasks:
      - name: api_analyze
        weight: 5
        method: POST
        path: /api/v1/audio/analyze
        json: {audio_url: "https://cdn.example.com/audio/${random.int(1, 1000)}.wav"}
        check: {status: 200}
      - name: api_batch_process
        weight: 2
        steps:
          - method: POST
            path: /api/v1/batch
            json:
              audio_urls:
                - https://cdn.example.com/audio/${random.int(1, 1000)}.wav
                - https://cdn.example.com/audio/${random.int(1, 1000)}.wav
                - https://cdn.example.com/audio/${random.int(1, 1000)}.wav
              webhook_url: http://127.0.0.1:9000/webhook
            capture:
              - {var: job_id, json: job_id}
              - {var: job_ids, json: job_id, append: true, max: 10}
            check: {status: 202}
          # Poll the job until it is done: a job goes from queued to running to done in a few seconds.
          - path: /api/v1/jobs/${job_id}
            name: /api/v1/jobs/:id (until done)
            repeat:
              until: {json: {path: status, equals: done}}
              every: 1s
              max: 30
      - name: api_get_status
        weight: 3
        path: /api/v1/jobs/${random(job_ids)}
        endpoint: /api/v1/jobs/:id
        if: ${job_ids}
        check: {json: {path: status, matches: "^(queued|running|done)$"}}

  # One in ten: administrators, 5-10 s apart.
  - name: AdminUser
    weight: 1
    wait: between(5, 10)
    tags: [admin]
    on_start:
      name: admin_login
      method: POST
      path: /api/v1/auth/login
      json: {username: admin, password: admin}
      capture:
        - {var: admin_token, json: access_token}
      check: {json: {path: role, equals: admin}}
    tasks:
      - name: view_dashboard
        weight: 3
        path: /api/v1/admin/dashboard
        headers: *admin-auth
      - name: manage_users
        weight: 1
        steps:
          - {path: /api/v1/admin/users, headers: *admin-auth}
          - method: POST
            path: /api/v1/admin/users
            headers: *admin-auth
            json: {username: "user-${uuid}", role: user}
            check: {status: 201}
      - name: system_health_check
        weight: 2
        steps:
          - path: /api/v1/admin/health
            headers: *admin-auth
            check: {json: {path: status, equals: ok}}
          - {path: /health, on_failure: continue}
"""# + "\n"
}
