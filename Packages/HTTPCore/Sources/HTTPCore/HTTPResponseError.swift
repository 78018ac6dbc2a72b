/// An error that knows the response it answers as.
///
/// A handler throws one and the router sends its ``response``; an app's own error type conforms so handlers need
/// no wrapper that catches and renders. Any other error becomes a 500 with a generic body (the real error is logged,
/// never sent). A rendered error whose status is 5xx is logged at warning level with its route, since the server,
/// not the client, has something to fix.
public protocol HTTPResponseError: Error {
    /// The response to send: status, headers and body.
    var response: HTTPResponse { get }
}
