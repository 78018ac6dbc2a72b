import Foundation

/// Finds `openapi.yaml`, the resource SwiftPM copies into `Server_ServerCore.resources` beside the binary.
///
/// `Bundle.module` is not used: on Linux it stops the process (fatalError) when the bundle folder is
/// missing, e.g. when only the binary was installed. Here a missing bundle means a small placeholder
/// document (docs/operations.md says to install the `.resources` folder with the binary).
enum OpenAPIResource {
    static let bundleName = "Server_ServerCore.resources"

    static func candidates() -> [String] {
        var paths: [String] = []
        let main = Bundle.main.bundleURL
        paths.append(main.appendingPathComponent(bundleName).appendingPathComponent("openapi.yaml").path)
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            paths.append(executable.appendingPathComponent(bundleName).appendingPathComponent("openapi.yaml").path)
        }
        // A development checkout: the source file itself.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        paths.append(source.appendingPathComponent("Resources/openapi.yaml").path)
        return paths
    }

    static func load() -> String {
        for path in candidates() {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
        }
        return "openapi: 3.1.0\ninfo: {title: Prostagma server, version: \(prostagmaVersion)}\npaths: {}\n"
    }
}
