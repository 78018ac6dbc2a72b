import ZipReaderCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let status = ZipReaderCommand.run(
    Array(CommandLine.arguments.dropFirst()),
    output: { print($0) },
    error: { line in
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    })
exit(status)
