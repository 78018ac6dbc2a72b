extension BuildScript {
    /// Whether any step field uses `${params.NAME}`.
    public var usesParams: Bool { steps.contains { !$0.templates.isEmpty } }

    /// The params the script's fields reference, sorted: what a release for it must carry.
    public var paramNames: [String] {
        Set(steps.flatMap { $0.templates.flatMap(\.template.params) }).sorted()
    }

    /// The script with every `${params.NAME}` filled in from `params`, each filled-in field checked as loading
    /// checks a literal one (URL scheme, checksum, mode, not empty).
    ///
    /// Throws one `AgentError` listing every problem, one per line, each starting with the field's
    /// `FILE:LINE:COL`: a param the release lacks (named), or a filled-in value that fails its check (with the
    /// value and the params it came from). `release` says where the params came from, e.g. "release 7 of `web`".
    public func resolved(params: [String: String], release: String) throws -> BuildScript {
        guard usesParams else { return self }
        var problems: [String] = []
        var script = self
        for index in script.steps.indices where !script.steps[index].templates.isEmpty {
            let (step, stepProblems) = script.steps[index].resolved(params: params, release: release)
            script.steps[index] = step
            problems += stepProblems
        }
        guard problems.isEmpty else { throw AgentError(.invalidScript, problems.joined(separator: "\n")) }
        return script
    }
}

extension Step {
    /// This step with its templates filled in, and what went wrong (empty when nothing did).
    func resolved(params: [String: String], release: String) -> (Step, [String]) {
        var step = self
        var problems: [String] = []
        for template in templates {
            let field = template.field.rawValue
            let value: String
            switch template.template.render(params) {
            case .success(let text): value = text
            case .failure(let missing):
                let have =
                    params.isEmpty ? "it has no params" : "it has " + params.keys.sorted().joined(separator: ", ")
                problems.append(
                    "\(template.whereWritten): `\(field)` uses ${params.\(missing.name)}, but \(release) has no "
                        + "param `\(missing.name)` (\(have))")
                continue
            }
            if let problem = step.fill(template.field, with: value) {
                let sources = template.template.params.map { "${params.\($0)}" }.joined(separator: ", ")
                problems.append(
                    "\(template.whereWritten): `\(field)` is `\(value)` once \(sources) is filled in from \(release): "
                        + problem)
            }
        }
        step.templates = []
        return (step, problems)
    }

    /// Puts a filled-in value into its field, checked as loading checks a literal one; returns the problem, if any.
    private mutating func fill(_ field: FieldTemplate.Field, with value: String) -> String? {
        switch action {
        case .download(var download), .downloadS3(var download):
            let s3 = kind == "download_s3"
            switch field {
            case .url:
                if let problem = FieldCheck.url(value, s3: s3) { return problem }
                download.url = value
            case .dest:
                if value.isEmpty { return "`dest` is empty" }
                download.dest = value
            case .sha256:
                switch FieldCheck.sha256(value) {
                case .success(let hex): download.sha256 = hex
                case .failure(let problem): return problem.message
                }
            case .mode:
                switch FieldCheck.mode(value) {
                case .success(let mode): download.mode = mode
                case .failure(let problem): return problem.message
                }
            case .src:
                return "`src` is not a field of `\(kind)`"
            }
            action = s3 ? .downloadS3(download) : .download(download)
        case .unzip(var unzip):
            switch field {
            case .src:
                if value.isEmpty { return "`src` is empty" }
                unzip.src = value
            case .dest:
                if value.isEmpty { return "`dest` is empty" }
                unzip.dest = value
            default:
                return "`\(field.rawValue)` is not a field of `unzip`"
            }
            action = .unzip(unzip)
        case .shell:
            return "a shell step has no `\(field.rawValue)`"
        }
        return nil
    }
}
