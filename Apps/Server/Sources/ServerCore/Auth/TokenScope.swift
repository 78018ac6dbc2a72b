import ProstagmaProtocol

/// What a named token may do (docs/operations.md, "Securing a server"). A token holds one or more scopes; what
/// any of them grants, the token may do.
///
/// Written as on the command line: `admin`, `read`, `trigger:web,api`, `agent:web`.
public enum TokenScope: Sendable, Hashable, CustomStringConvertible {
    /// Everything, as the shared secret: policies included.
    case admin
    /// Reading: runs, agents, trigger states, releases, policies, rollouts and the status page.
    case read
    /// Deploying these triggers: increment, roll back, control their rollouts, and read their state and releases.
    case trigger([String])
    /// Being an agent of these triggers: long-poll them, report their runs, fetch artifacts through the server.
    case agent([String])

    /// The scope as written on the command line and stored.
    public var description: String {
        switch self {
        case .admin: return "admin"
        case .read: return "read"
        case .trigger(let names): return "trigger:" + names.joined(separator: ",")
        case .agent(let names): return "agent:" + names.joined(separator: ",")
        }
    }

    /// Parses `admin`, `read`, `trigger:NAME[,NAME...]` or `agent:NAME[,NAME...]`; every name must be a valid
    /// trigger name. Throws a 422 that shows the accepted forms.
    public init(parsing text: String) throws(ServerError) {
        let forms = "expected admin, read, trigger:NAME[,NAME...] or agent:NAME[,NAME...]"
        switch text {
        case "admin":
            self = .admin
            return
        case "read":
            self = .read
            return
        default: break
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw .unprocessable("scope '\(text)' is not a scope; \(forms)")
        }
        let kind = text[..<colon]
        let names = text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false).map(
            String.init)
        for name in names {
            do throws(ProtocolError) {
                try TriggerName.validate(name)
            } catch {
                throw .unprocessable("scope '\(text)': \(error.description)")
            }
        }
        switch kind {
        case "trigger": self = .trigger(names)
        case "agent": self = .agent(names)
        default: throw .unprocessable("scope '\(text)' is not a scope; \(forms)")
        }
    }

    /// Whether this scope grants `permission`.
    public func grants(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (.admin, _): return true
        case (.read, .read): return true
        case (.trigger(let names), .trigger(let name)): return names.contains(name)
        case (.agent(let names), .agent(let name?)): return names.contains(name)
        case (.agent(let names), .agent(nil)): return !names.isEmpty
        default: return false
        }
    }

    /// One thing a route may ask of a credential. A route lists the permissions any one of which lets a request in.
    public enum Permission: Sendable, Hashable, CustomStringConvertible {
        /// Only `admin` (and the shared secret).
        case admin
        /// `read`.
        case read
        /// `trigger:` naming this trigger.
        case trigger(String)
        /// `agent:` naming this trigger, or any agent scope when nil.
        case agent(String?)

        /// The scope that grants it, as the 403's `detail` names it.
        public var description: String {
            switch self {
            case .admin: return "admin"
            case .read: return "read"
            case .trigger(let name): return "trigger:\(name)"
            case .agent(let name?): return "agent:\(name)"
            case .agent(nil): return "agent:<trigger>"
            }
        }
    }
}
