import Dispatch
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a raw TCP client sees: slow and silent connections are closed, malformed bodies get a 4xx.
@Suite struct ConnectionTests {
    /// Sends `bytes` to the service on a plain socket, then reads until the server closes, `wait` passes, or what was
    /// read so far satisfies `enough`. Returns what was read and whether the server closed the connection.
    static func exchange(
        port: Int, _ bytes: String, wait: Duration, enough: @escaping @Sendable (String) -> Bool = { _ in false }
    ) async -> (answer: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Self.blockingExchange(port: port, Array(bytes.utf8), wait: wait, enough: enough))
            }
        }
    }

    private static func blockingExchange(
        port: Int, _ bytes: [UInt8], wait: Duration, enough: (String) -> Bool
    ) -> (answer: String, closed: Bool) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return ("", false) }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var answer: [UInt8] = []
        let deadline = ContinuousClock.now + wait
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: answer, as: UTF8.self), true) }
            if count > 0 {
                answer += buffer[0..<count]
                if enough(String(decoding: answer, as: UTF8.self)) {
                    return (String(decoding: answer, as: UTF8.self), false)
                }
            }
            if count < 0, errno != EAGAIN, errno != EWOULDBLOCK {
                return (String(decoding: answer, as: UTF8.self), true)
            }
        }
        return (String(decoding: answer, as: UTF8.self), false)
    }

    static func port(_ service: RunningService) -> Int { Int(service.baseURL.split(separator: ":").last!)! }

    @Test func aClientThatNeverFinishesItsHeadersIsDisconnected() async throws {
        try await withRunningService(idleTimeout: .seconds(1)) { service in
            // Given a client that sends half a request head and then nothing,
            let (answer, closed) = await Self.exchange(
                port: Self.port(service), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", wait: .seconds(6))
            // Then the server closes the connection after the idle timeout, without answering a request.
            #expect(closed)
            #expect(!answer.contains("200 OK"))
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterItsRequest() async throws {
        try await withRunningService(idleTimeout: .seconds(1)) { service in
            let (answer, closed) = await Self.exchange(
                port: Self.port(service), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", wait: .seconds(6))
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(closed)
        }
    }

    @Test(arguments: ["/api/bookings", "/webhooks/stripe"])
    func aMalformedChunkedBodyIsA400(_ path: String) async throws {
        try await withRunningService { service in
            let request =
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
            // NB: the answer comes at once; the long wait is for a test process whose every suite shares two cores.
            let (answer, closed) = await Self.exchange(
                port: Self.port(service), request, wait: .seconds(20), enough: { $0.contains("\r\n\r\n") })
            #expect(answer.hasPrefix("HTTP/1.1 400"), "answer: \(answer.debugDescription), closed: \(closed)")
        }
    }
}
