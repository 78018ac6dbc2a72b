import Foundation
import Testing

@testable import AgentCore

/// No trigger name reaches outside the state directory (a black-box probe had `..` write a report beside the state
/// files and take another trigger's state file for a report).
@Suite(.timeLimit(.minutes(1))) struct StatePathTests {
    @Test(arguments: [".", "..", "...", "a/b", "../web", ""])
    func theStateStoreRefusesNamesThatAreNotTriggerNames(_ name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.file("state"))
        #expect(throws: AgentError.self) { try store.path(for: name) }
        #expect(throws: AgentError.self) { try store.load(name) }
        #expect(throws: AgentError.self) { try store.lock(name) }
        #expect(throws: AgentError.self) { try store.save(HandledState(trigger: name, epoch: nil, count: 1)) }
        #expect(throws: AgentError.self) { try ReportOutbox(stateDirectory: store.directory, trigger: name) }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left == ["state"], "nothing was written beside the state directory")
    }

    @Test(arguments: [".", "..", "..."])
    func dotOnlyNamesAreRefusedAsTheTriggerToWatch(_ name: String) {
        let error = #expect(throws: AgentError.self) {
            try ResolvedSettings.resolve(
                try AgentFlags.parse(["--trigger", name, "--script", "s.yaml"]),
                inputs: .init(
                    environment: [:], loadConfigFile: { _ in throw AgentError.io("no file") },
                    readTextFile: { _ in "" }, hostName: "h", isRoot: false))
        }
        #expect(error?.message.contains("only of dots") == true, "\(error?.message ?? "")")
    }
}
