extension Scenario {
    /// The scenario with every request path placed under the base URL's path, as Locust joins its host
    /// and a request's path: host `http://api/v1` and path `/files` send `/v1/files`.
    public func rebased(onto base: TargetURL) -> Scenario {
        var basePath = base.path
        if let question = basePath.firstIndex(of: "?") { basePath = String(basePath[..<question]) }
        while basePath.hasSuffix("/") { basePath.removeLast() }
        guard !basePath.isEmpty else { return self }
        var copy = self
        func rebase(_ task: inout UserTask) {
            for index in task.requests.indices where task.requests[index].path.hasPrefix("/") {
                // Keep the endpoint's name as the scenario wrote it.
                if task.requests[index].name == nil { task.requests[index].name = task.requests[index].endpointName }
                task.requests[index].path = basePath + task.requests[index].path
            }
        }
        for index in copy.userClasses.indices {
            for task in copy.userClasses[index].tasks.indices { rebase(&copy.userClasses[index].tasks[task]) }
            if var onStart = copy.userClasses[index].onStart {
                rebase(&onStart)
                copy.userClasses[index].onStart = onStart
            }
        }
        return copy
    }
}
