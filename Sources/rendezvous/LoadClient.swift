import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One request of a load run, encoded before the clock starts.
struct LoadRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
}

/// How a load run sends its requests.
enum LoadPace: Sendable {
    /// Each connection sends its next request as soon as the previous one is answered (a closed loop): the load
    /// offered follows the service's latency, and a latency is measured from the request's sending.
    case asAnswered
    /// Request `i` is due `i / perSecond` seconds after the start, whatever the answers (an open loop, as `wrk2`): a
    /// request sent late, every connection being busy, counts the wait in its latency, measured from when it was due.
    /// A service that does not keep up shows it in the latencies and in the rate achieved, not by slowing the load.
    case steady(perSecond: Double)
}

/// A load generator in the spirit of `wrk`: each connection is one keep-alive HTTP/1.1 connection over SwiftNIO, and
/// sends the next request of the run after the previous one is answered (at its pace: see `LoadPace`). It costs far
/// less CPU per request than a pooled general client, so on a small machine the figures measure the service rather
/// than the load generator beside it.
enum LoadClient {
    struct Outcome: Sendable {
        var latencies: [Duration]
        var wall: Duration
        var statuses: [Int: Int]
    }

    /// Hands out the requests of a run, in order, to whichever connection is free.
    private final class Queue: Sendable {
        private let next = Mutex(0)
        let count: Int
        init(count: Int) { self.count = count }

        func take() -> Int? {
            self.next.withLock { next in
                guard next < self.count else { return nil }
                defer { next += 1 }
                return next
            }
        }
    }

    private typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// Sends requests `0..<count` (each made by `request`) over `concurrency` connections at `pace`: their latencies,
    /// the run's wall time, and how many answers had each status.
    static func run(
        host: String, port: Int, count: Int, concurrency: Int, pace: LoadPace = .asAnswered,
        request: @escaping @Sendable (Int) -> LoadRequest
    ) async throws -> Outcome {
        // Every connection is opened before the clock starts: a steady pace's first requests are due at once.
        let connections = try await withThrowingTaskGroup(of: Connection.self) { group in
            for _ in 0..<min(concurrency, count) {
                group.addTask { try await Self.connect(host: host, port: port) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let queue = Queue(count: count)
        let clock = ContinuousClock()
        let start = clock.now
        let results = try await withThrowingTaskGroup(of: ([Duration], [Int: Int]).self) { group in
            for connection in connections {
                group.addTask {
                    try await Self.send(
                        on: connection, host: host, port: port, queue: queue, pace: pace, request: request,
                        clock: clock, start: start)
                }
            }
            var latencies: [Duration] = []
            var statuses: [Int: Int] = [:]
            for try await (mine, counts) in group {
                latencies += mine
                statuses.merge(counts, uniquingKeysWith: +)
            }
            return (latencies, statuses)
        }
        return Outcome(latencies: results.0, wall: clock.now - start, statuses: results.1)
    }

    private static func connect(host: String, port: Int) async throws -> Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// One connection's part of a run: requests taken from `queue` until none is left.
    private static func send(
        on connection: Connection, host: String, port: Int, queue: Queue, pace: LoadPace,
        request: @Sendable (Int) -> LoadRequest, clock: ContinuousClock, start: ContinuousClock.Instant
    ) async throws -> ([Duration], [Int: Int]) {
        try await connection.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            var latencies: [Duration] = []
            var statuses: [Int: Int] = [:]
            while let index = queue.take() {
                let item = request(index)
                var head = HTTPRequestHead(version: .http1_1, method: item.method, uri: item.path)
                head.headers.add(name: "Host", value: "\(host):\(port)")
                head.headers.add(name: "Content-Length", value: String(item.body.count))
                for (name, value) in item.headers { head.headers.add(name: name, value: value) }
                let begin: ContinuousClock.Instant
                switch pace {
                case .asAnswered:
                    begin = clock.now
                case .steady(let perSecond):
                    begin = start + .seconds(Double(index) / perSecond)
                    if begin > clock.now { try await Task.sleep(until: begin, clock: clock) }
                }
                try await outbound.write(
                    contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: item.body))), .end(nil)])
                var status: Int?
                receiving: while let part = try await responses.next() {
                    switch part {
                    case .head(let response): status = Int(response.status.code)
                    case .body: continue
                    case .end: break receiving
                    }
                }
                guard let status else { throw LoadClientError.connectionClosed }
                latencies.append(clock.now - begin)
                statuses[status, default: 0] += 1
            }
            return (latencies, statuses)
        }
    }
}

enum LoadClientError: Error, CustomStringConvertible {
    case connectionClosed
    var description: String { "the service closed a load connection before answering" }
}
