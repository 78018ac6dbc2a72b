import Foundation

/// Paths of the repository the tests run in, computed from this file's location so a clone anywhere works.
public enum Repository {
    /// The repository root (the folder holding `Makefile`, `Apps/` and `Tests/`).
    public static let root: URL = {
        // <root>/Tests/Support/SystemSupport/Repository.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The shared test corpus beside the repository (`<root>/../shared/corpus`).
    public static var corpus: URL {
        root.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }

    /// Where each test keeps its files: `<root>/Tests/output`.
    public static var output: URL {
        root.appendingPathComponent("Tests/output")
    }
}
