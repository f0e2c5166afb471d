import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request of a load run, encoded before the clock starts.
struct LoadRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
}

/// A load generator in the spirit of `wrk`: each worker holds one keep-alive HTTP/1.1 connection over SwiftNIO and
/// sends its share of the requests one after another. It costs far less CPU per request than a pooled general client,
/// so on a small machine the figures measure the service rather than the load generator beside it.
enum LoadClient {
    struct Outcome: Sendable {
        var latencies: [Duration]
        var wall: Duration
        var statuses: [Int: Int]
    }

    static func run(
        host: String, port: Int, count: Int, concurrency: Int, request: @escaping @Sendable (Int) -> LoadRequest
    ) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let results = try await withThrowingTaskGroup(of: ([Duration], [Int: Int]).self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    try await Self.worker(
                        host: host, port: port, indices: Array(stride(from: worker, to: count, by: concurrency)),
                        request: request, clock: clock)
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

    private static func worker(
        host: String, port: Int, indices: [Int], request: @Sendable (Int) -> LoadRequest, clock: ContinuousClock
    ) async throws -> ([Duration], [Int: Int]) {
        guard !indices.isEmpty else { return ([], [:]) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            var latencies: [Duration] = []
            var statuses: [Int: Int] = [:]
            latencies.reserveCapacity(indices.count)
            for index in indices {
                let item = request(index)
                var head = HTTPRequestHead(version: .http1_1, method: item.method, uri: item.path)
                head.headers.add(name: "Host", value: "\(host):\(port)")
                head.headers.add(name: "Content-Length", value: String(item.body.count))
                for (name, value) in item.headers { head.headers.add(name: name, value: value) }
                let begin = clock.now
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
