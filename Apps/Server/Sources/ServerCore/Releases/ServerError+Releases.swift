import ProstagmaProtocol

extension ServerError {
    /// The answer for a count of `trigger` that has no release, saying why it has none; `current` is the trigger's
    /// count. 422 (a rollback's `to`) unless `status` says 404 (a lookup, code `no_release`); `field` names the
    /// input.
    static func noRelease(trigger: String, count: Int64, current: Int64, field: String, status: Int = 422)
        -> ServerError
    {
        let detail: String
        if current == 0 {
            detail = "\(field): trigger '\(trigger)' has never been incremented, so it has no release #\(count)"
        } else if count > current {
            detail = "\(field): trigger '\(trigger)' has no release #\(count); its newest is #\(current)"
        } else {
            detail =
                "\(field): release #\(count) of '\(trigger)' does not exist: that count was made before the server "
                + "recorded releases" + (status == 404 ? "" : ", so it has no params to roll back to")
        }
        // Its own code on a 404: a server without releases answers these paths 404 `not_found` (no route).
        return status == 404 ? ServerError(status: 404, code: "no_release", detail: detail) : .unprocessable(detail)
    }
}

extension ServerError {
    /// 409: a rollback to `previous` found no release before `current` whose runs all succeeded (both stores).
    static func nothingToRollBackTo(trigger: String, current: Int64) -> ServerError {
        .conflict(
            current == 0
                ? "trigger '\(trigger)' has no releases, so there is none to roll back to"
                : "no release of '\(trigger)' before #\(current) has runs that all succeeded (at least one run, none "
                    + "failed or cancelled); roll back to a count with {\"to\": N}")
    }
}

extension NewRelease {
    /// The release a rollback to `base` makes: `base`'s params, a note naming the rollback unless one is given.
    static func rollback(to base: Release, target: RollbackRequest.Target, note: String?, requestedBy: String?)
        -> NewRelease
    {
        NewRelease(
            params: base.params,
            note: note ?? "Rollback to #\(base.count)" + (target == .previous ? " (previous)" : ""),
            source: .api, requestedBy: requestedBy)
    }
}
