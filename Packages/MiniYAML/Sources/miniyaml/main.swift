import MiniYAML

#if canImport(Glibc)
    import Glibc
#endif

exit(MiniYAMLCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
