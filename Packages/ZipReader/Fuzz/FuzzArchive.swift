// libFuzzer entry point: parses the input as a zip archive, decodes names, validates an extraction plan
// and streams every entry (output capped), so any crash, trap or hang in the reader shows up.
// Built by `make fuzz-zip` (Packages/ZipReader/make.mk) with the library's sources in the same module.

struct FuzzStop: Error {}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let archive = try? ZipArchive(bytes: bytes, maxEntries: 5_000) else { return 0 }
    let buffer = ReadBuffer(size: 64 * 1024)
    _ = try? ExtractionPlan(
        entries: archive.entries, options: ExtractionOptions(), directoryStart: archive.directoryStart,
        checkSupported: { try archive.checkSupported($0) },
        linkTarget: { entry in
            var target: [UInt8] = []
            try archive.stream(entry, buffer: buffer) { target.append(contentsOf: $0) }
            if target.count > 4096 { throw FuzzStop() }
            return String(decoding: target, as: UTF8.self)
        },
        dataRange: { entry in entry.localHeaderOffset..<(try archive.dataStart(of: entry) + entry.compressedSize) })
    for entry in archive.entries.prefix(64) {
        _ = entry.permissions
        _ = entry.isSymlink
        _ = try? EntryPath.components(of: entry)
        var produced = 0
        try? archive.stream(entry, buffer: buffer) { chunk in
            produced += chunk.count
            if produced > 1 << 20 { throw FuzzStop() }
        }
    }
    return 0
}
