// HTTPCore demo server for the benchmarks: /plain, /json, and a long poll (/poll waits for POST /publish).
// Usage: HTTPCoreBenchServer [port]   (prints "listening <port>" once bound; SIGTERM/SIGINT shut it down)
import HTTPCore
import Logging
import ServiceLifecycle

struct Message: Codable, Sendable {
    var message: String
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080
var logger = Logger(label: "httpcore-bench")
logger.logLevel = .warning
let notifier = Notifier()

var router = Router()
router.get("/plain") { _, _ in HTTPResponse(text: "Hello, World!") }
router.get("/json") { _, _ in try .json(Message(message: "Hello, World!")) }
router.get("/poll") { request, context in
    let seconds = request.query["wait"].flatMap(Int64.init) ?? 60
    let reason = await context.wait(for: notifier, until: .now + .seconds(seconds))
    return HTTPResponse(text: "\(reason)")
}
router.post("/publish") { _, _ in
    let waiting = notifier.waiterCount
    notifier.publish()
    return HTTPResponse(text: "\(waiting)")
}
router.get("/waiters") { _, _ in HTTPResponse(text: "\(notifier.waiterCount)") }

let server = HTTPServer(
    router: router,
    configuration: .init(host: "127.0.0.1", port: port, maxConnections: 30_000, backlog: 4096, accessLogLevel: nil),
    logger: logger,
    onServerRunning: { address in print("listening \(address.port ?? 0)") }
)
try await ServiceGroup(
    configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
).run()
