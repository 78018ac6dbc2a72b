import MiniYAMLCLI
import Testing

@Suite(.timeLimit(.minutes(3))) struct CommandTests {
    private func run(_ arguments: [String], _ files: [String: String]) -> MiniYAMLCommand.Outcome {
        MiniYAMLCommand.execute(arguments: arguments) { path in files[path].map { Array($0.utf8) } }
    }

    @Test func printsJSONAndExitsZero() {
        let outcome = run(["b.yml"], ["b.yml": "a: [1, x]\n"])
        #expect(outcome == .init(output: "{\n  \"a\": [\n    1,\n    \"x\"\n  ]\n}\n", error: "", status: 0))
    }

    @Test func readsStandardInputWithoutFile() {
        #expect(run([], ["-": "k: v"]).output == "{\n  \"k\": \"v\"\n}\n")
    }

    @Test func errorIsFileLineColumnOnStderrAndExitsOne() {
        let outcome = run(["b.yml"], ["b.yml": "a: 1\nb: *x\n"])
        #expect(outcome.output.isEmpty)
        #expect(outcome.error == "b.yml:2:4: unsupported alias (*) (MiniYAML reads a subset of YAML)\n")
        #expect(outcome.status == 1)
        #expect(run([], ["-": "a: 'x"]).error.hasPrefix("<stdin>:1:4: unterminated"))
    }

    @Test func unreadableFileExitsOne() {
        let outcome = run(["missing.yml"], [:])
        #expect(outcome.status == 1)
        #expect(outcome.error.hasPrefix("missing.yml: cannot read"))
    }
}
