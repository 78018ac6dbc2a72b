import MiniYAML

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads build scripts and config files from disk and decodes them, turning every error into
/// `FILE:LINE:COL: message`.
public enum ScriptLoader {
    /// Reads and validates the build script at `path`.
    public static func loadScript(_ path: String) throws -> BuildScript {
        try parseScript(try YAMLDocument.read(path), fileName: path)
    }

    /// Reads and validates the agent configuration file at `path`.
    public static func loadConfig(_ path: String) throws -> ConfigFile {
        try YAMLDocument.decode(ConfigFile.self, file: path, withWarnings: false)
    }

    /// Decodes a script from `text`, naming it `fileName` in errors.
    /// Fields that use `${params.NAME}` get their `FILE:LINE:COL`, for the errors of a run that cannot fill them in.
    public static func parseScript(_ text: String, fileName: String) throws -> BuildScript {
        var (script, root) = try YAMLDocument.decodeWithRoot(BuildScript.self, text: text, fileName: fileName)
        for step in script.steps.indices {
            for field in script.steps[step].templates.indices {
                let path = script.steps[step].templates[field].path
                let mark = root.locate(codingPath: path.map { AnyKey($0) })
                script.steps[step].templates[field].location = "\(fileName):\(mark.line):\(mark.column)"
            }
        }
        return script
    }

    /// Decodes a config file from `text`, naming it `fileName` in errors.
    public static func parseConfig(_ text: String, fileName: String) throws -> ConfigFile {
        try YAMLDocument.decode(ConfigFile.self, text: text, fileName: fileName, withWarnings: false)
    }

    /// The warnings of `script` as `FILE:LINE:COL: warning: message` lines.
    public static func warningLines(_ script: BuildScript, path: String) -> [String] {
        guard let text = try? FileSystem.read(path) else {
            return script.warnings.map { "\(path): warning: \($0.message)" }
        }
        return script.warnings.map { warning in
            let mark = YAMLDocument.locate(
                path: warning.path, in: String(decoding: text, as: UTF8.self), fileName: path)
            return "\(path):\(mark.line):\(mark.column): warning: \(warning.message)"
        }
    }
}
