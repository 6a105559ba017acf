extension Scenario {
    /// The scenario with every request path placed under the base URL's path, as Locust joins its host
    /// and a request's path: host `http://api/v1` and path `/files` send `/v1/files`.
    public func rebased(onto base: TargetURL) -> Scenario {
        var basePath = base.path
        if let question = basePath.firstIndex(of: "?") { basePath = String(basePath[..<question]) }
        while basePath.hasSuffix("/") { basePath.removeLast() }
        guard !basePath.isEmpty else { return self }
        var copy = self
        // The path is a template: a `${` in the base is text.
        let prefix = basePath.replacingOccurrences(of: "${", with: "$${")
        func rebase(_ task: inout UserTask) {
            var requests = task.requests
            for index in requests.indices where requests[index].path.hasPrefix("/") {
                // Keep the endpoint's name as the scenario wrote it.
                if requests[index].name == nil { requests[index].name = requests[index].endpointName }
                requests[index].path = prefix + requests[index].path
            }
            task.requests = requests
        }
        for index in copy.userClasses.indices {
            for task in copy.userClasses[index].tasks.indices { rebase(&copy.userClasses[index].tasks[task]) }
            if var onStart = copy.userClasses[index].onStart {
                rebase(&onStart)
                copy.userClasses[index].onStart = onStart
            }
            if var onStop = copy.userClasses[index].onStop {
                rebase(&onStop)
                copy.userClasses[index].onStop = onStop
            }
        }
        return copy
    }
}
