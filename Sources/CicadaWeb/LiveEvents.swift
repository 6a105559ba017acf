import Cicada
import Foundation
import Hummingbird

/// The page's live updates (`GET /api/events`): Server-Sent Events, one `update` a second with the
/// status and the seconds of history the page has not had yet, so that a page left open for hours
/// receives each second once. Each event's `id` is `RUN:NEXT`; a browser that reconnects sends it back
/// as `Last-Event-ID`, and the stream goes on from there instead of from the run's first second. Each stream reads the session's snapshot under its locks and writes on the
/// server's threads; a page that stops reading holds only its own stream.
enum LiveEvents {
    /// The pages watching, bounded by ``WebServer/maxWatchers`` so that forgotten tabs cannot pile up.
    final class Watchers: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0

        func enter() -> Bool {
            lock.withLock {
                guard count < WebServer.maxWatchers else { return false }
                count += 1
                return true
            }
        }

        func leave() {
            lock.withLock { count -= 1 }
        }
    }

    struct Update: Encodable {
        var status: LivePayload
        var history: HistorySlice
    }

    /// The stream from second `since` on. A page beyond the bound gets one `refused` event and the end of
    /// the stream (counted inside the body, so that a stream whose head was never written holds no place).
    /// - Parameter resume: the run and second of a `Last-Event-ID`, which override `since`.
    static func stream(_ session: WebSession, since: Int, resume: (run: Int, next: Int)?, watchers: Watchers) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        WebServer.protect(&headers)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            guard watchers.enter() else {
                try await writer.write(ByteBuffer(string: "event: refused\ndata: more than \(WebServer.maxWatchers) pages are watching\n\n"))
                try await writer.finish(nil)
                return
            }
            defer { watchers.leave() }
            var next = since
            var run = -1
            if let resumed = resume {
                (run, next) = resumed
            }
            while !_Concurrency.Task.isCancelled {
                // One snapshot for the status and the history, so that both are of the same run.
                let snapshot = session.snapshot
                if snapshot.number != run {
                    // A new run starts its history from its first second.
                    if run != -1 { next = 0 }
                    run = snapshot.number
                }
                let history = HistorySlice(snapshot, since: next)
                next = history.next
                let data = String(decoding: APIJSON.encode(Update(status: LivePayload(snapshot), history: history)), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "id: \(run):\(next)\nevent: update\ndata: \(data)\n\n"))
                try await _Concurrency.Task.sleep(nanoseconds: UInt64(WebServer.pushInterval * 1e9))
            }
            try await writer.finish(nil)
        })
    }
}

/// `RUN:NEXT` from a `Last-Event-ID` header, or nil when absent or malformed (the stream then starts
/// from its `since`).
func lastEventID(_ value: String?) -> (run: Int, next: Int)? {
    guard let parts = value?.split(separator: ":"), parts.count == 2, let run = Int(parts[0]), let next = Int(parts[1]),
          run >= 0, next >= 0 else { return nil }
    return (run, next)
}

/// The run's seconds from an index on (`/api/history`, and each live update).
struct HistorySlice: Encodable {
    var run: Int
    var first: Int
    var next: Int
    var points: [HistoryPoint]

    init(_ snapshot: WebSession.Snapshot, since: Int) {
        run = snapshot.number
        guard let started = snapshot.run else {
            (first, next, points) = (0, 0, [])
            return
        }
        let slice = started.feed.points(from: since)
        (first, points) = (slice.first, slice.points)
        next = slice.first + slice.points.count
    }
}

/// Runs `work`, which blocks (a run being prepared), on a thread of its own, so that the server's
/// threads stay free meanwhile.
func offloaded<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.name = "cicada web start"
        thread.start()
    }
}
