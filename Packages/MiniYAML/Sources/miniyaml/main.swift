import MiniYAMLCLI

#if canImport(Glibc)
    import Glibc
#endif

exit(MiniYAMLCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
