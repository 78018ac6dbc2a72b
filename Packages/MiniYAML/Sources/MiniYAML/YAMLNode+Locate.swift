extension YAMLNode {
    /// Where the value at `codingPath` (a `DecodingError`'s, or any keys and indexes from this node) is
    /// written, as an operator would look for it: when the path ends at a mapping key, the position of that
    /// key; otherwise (a sequence item, this node itself) the position of the node.
    ///
    /// A key that is not in its mapping, or a path that runs past a scalar, stops the walk at the deepest
    /// node reached: the path of a missing field (the mapping's own path) gives the key naming the mapping.
    /// Sequence indexes are read from `intValue`, or else from a decimal `stringValue`, so a path kept as
    /// strings (`["steps", "1", "download"]`) locates too.
    public func locate(codingPath: [any CodingKey]) -> YAMLMark {
        var node = self
        for (position, key) in codingPath.enumerated() {
            switch node {
            case .mapping(let pairs, _):
                guard let pair = pairs.first(where: { $0.key.text == key.stringValue }) else { return node.mark }
                if position == codingPath.count - 1 { return pair.key.mark }
                node = pair.value
            case .sequence(let items, _):
                guard let index = key.intValue ?? Int(key.stringValue), items.indices.contains(index) else {
                    return node.mark
                }
                node = items[index]
            case .scalar:
                return node.mark
            }
        }
        return node.mark
    }

    /// The deepest node that `codingPath` reaches from this one (the value, not its key).
    func node(at codingPath: [any CodingKey]) -> YAMLNode {
        var current = self
        for key in codingPath {
            switch current {
            case .mapping(let pairs, _):
                guard let pair = pairs.first(where: { $0.key.text == key.stringValue }) else { return current }
                current = pair.value
            case .sequence(let items, _):
                guard let index = key.intValue ?? Int(key.stringValue), items.indices.contains(index) else {
                    return current
                }
                current = items[index]
            case .scalar:
                return current
            }
        }
        return current
    }
}
