// The same /plain and /json routes served by Hummingbird 2, for comparison.
// Usage: HummingbirdBenchServer [port]
import Hummingbird
import Logging

struct Message: ResponseEncodable {
    var message: String
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
var logger = Logger(label: "hummingbird-bench")
logger.logLevel = .warning

let router = Router()
router.get("/plain") { _, _ in "Hello, World!" }
router.get("/json") { _, _ in Message(message: "Hello, World!") }

let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { _ in print("listening \(port)") },
    logger: logger
)
try await app.runService()
