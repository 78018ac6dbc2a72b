// The HTTP vocabulary types come from NIOHTTP1/NIOCore; re-export them so that callers only import HTTPCore.
@_exported import struct NIOCore.ByteBuffer
@_exported import protocol NIOCore.EventLoop
@_exported import enum NIOCore.SocketAddress
@_exported import struct NIOHTTP1.HTTPHeaders
@_exported import enum NIOHTTP1.HTTPMethod
@_exported import enum NIOHTTP1.HTTPResponseStatus
