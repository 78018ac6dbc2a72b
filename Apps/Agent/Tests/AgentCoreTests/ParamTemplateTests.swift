import Testing

@testable import AgentCore

@Suite(.timeLimit(.minutes(1))) struct ParamTemplateTests {
    /// Texts, and what they read as: literal pieces and `<name>` for a reference.
    static let wellFormed: [(String, String, [String])] = [
        ("https://x.test/app.zip", "https://x.test/app.zip", []),
        ("s3://b/app-${params.version}.zip", "s3://b/app-<version>.zip", ["version"]),
        ("${params.artifact}", "<artifact>", ["artifact"]),
        ("${params.a}${params._b1}${params.a}", "<a><_b1><a>", ["a", "_b1"]),
        ("https://x.test/$1/a$b", "https://x.test/$1/a$b", []),
        ("price$", "price$", []),
        ("$${params.x}", "${params.x}", []),
        ("a$${b", "a${b", []),
        ("$$x", "$$x", []),
        ("/srv/${params.name}/$${HOME}", "/srv/<name>/${HOME}", ["name"]),
        ("", "", []),
    ]

    @Test(arguments: wellFormed)
    func readsReferencesAndKeepsOtherDollars(_ text: String, _ reading: String, _ names: [String]) throws {
        let template = try ParamTemplate(parsing: text)
        let shown = template.parts.map {
            switch $0 {
            case .literal(let text): text
            case .param(let name): "<\(name)>"
            }
        }.joined()
        #expect(shown == reading)
        #expect(template.params == names)
        #expect(template.usesParams == !names.isEmpty)
    }

    /// Malformed texts, the reference the error quotes, and a piece of its reason.
    static let malformed: [(String, String, String)] = [
        ("${params.}", "${params.}", "the param name is missing"),
        ("a/${params.1x}/b", "${params.1x}", "must match [A-Za-z_]"),
        ("${param.x}", "${param.x}", "written `${params.NAME}`"),
        ("${PARAMS.x}", "${PARAMS.x}", "written `${params.NAME}`"),
        ("${params.x", "${params.x", "no closing `}`"),
        ("${params.a-b}", "${params.a-b}", "must match"),
        ("${params.\(String(repeating: "a", count: 65))}", "${params.aaaa", "must match"),
        ("${ params.x }", "${ params.x }", "written `${params.NAME}`"),
        ("${}", "${}", "written `${params.NAME}`"),
        ("ok/${params.v}/${params.}", "${params.}", "missing"),
    ]

    @Test(arguments: malformed)
    func rejectsMalformedReferences(_ text: String, _ reference: String, _ reason: String) {
        let error = #expect(throws: ParamTemplate.Malformed.self) { try ParamTemplate(parsing: text) }
        #expect(error?.reference.hasPrefix(reference) == true, "got: \(error?.reference ?? "")")
        #expect(error?.description.contains(reason) == true, "got: \(error?.description ?? "")")
    }

    @Test func rendersFromParamsAndNamesTheFirstMissingOne() throws {
        let template = try ParamTemplate(parsing: "s3://b/${params.name}-${params.version}.zip")
        #expect(try template.render(["name": "app", "version": "1.4.2"]).get() == "s3://b/app-1.4.2.zip")
        #expect(throws: ParamTemplate.MissingParam(name: "version")) { try template.render(["name": "app"]).get() }
        // A value is not read again as a template: `${` in it stays as it is.
        #expect(try template.render(["name": "${params.x}", "version": "$"]).get() == "s3://b/${params.x}-$.zip")
    }
}
