// AgentCore's public API speaks the wire contract's types (a run's `RunReport`, the trigger name rule), so a caller
// that imports AgentCore sees them without naming the package that defines them.
@_exported import ProstagmaProtocol
