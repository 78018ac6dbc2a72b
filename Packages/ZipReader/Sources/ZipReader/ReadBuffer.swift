/// A reusable, manually allocated buffer (no zero-filling, no copy-on-write checks in the hot loop).
final class ReadBuffer {
    let memory: UnsafeMutableRawBufferPointer

    init(size: Int) {
        memory = .allocate(byteCount: size, alignment: 16)
    }

    deinit {
        memory.deallocate()
    }
}
