import ArgumentParser
import Foundation

/// `segmadiff launch --nproc_per_node N -- <flags>`: torchrun for segmadiff. Starts N copies of this
/// segmadiff with the flags after `--` and the environment torchrun would give them (MASTER_ADDR,
/// MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE); forwards Ctrl-C and SIGTERM to
/// them; and when one fails, stops the others and exits with its status.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run training (or eval_many) as several processes, one per GPU or CPU share (data parallel).",
        discussion: """
            Example, 4 GPUs: segmadiff launch --nproc_per_node 4 -- --mode train --img_dir ... --train_batch_size 8
            --train_batch_size is per process: each step averages the gradients of 4 x 8 samples, and the run \
            equals one process with --train_batch_size 32. Rank 0 writes the logs and checkpoints; its output \
            is shown as is, the others' with a [rank N] prefix. Several machines: run the same command on \
            each with --nnodes, --node_rank, --master_addr (rank 0's host) and --master_port. torchrun, \
            SLURM and similar launchers work too: segmadiff reads the variables they set. A process that \
            dies or hangs stops the others within --dist_timeout seconds.
            """)

    @Option(name: .customLong("nproc_per_node"), help: "Processes on this machine (one per GPU; on CPUs, they share the cores).")
    var nprocPerNode: Int

    @Option(name: .customLong("nnodes"), help: "Machines taking part.")
    var nnodes = 1

    @Option(name: .customLong("node_rank"), help: "This machine's index, 0..<nnodes (0 hosts the rendezvous).")
    var nodeRank = 0

    @Option(name: .customLong("master_addr"), help: "Address of the machine with node_rank 0.")
    var masterAddr = "127.0.0.1"

    @Option(name: .customLong("master_port"), help: "Rendezvous port (default: a free port; needed with --nnodes > 1).")
    var masterPort: Int?

    @Option(name: .customLong("grace_period"), help: "Seconds the other processes get to stop after one fails, before they are killed.")
    var gracePeriod = 10.0

    @Argument(parsing: .postTerminator, help: "The segmadiff flags for every process, after --.")
    var command: [String] = []

    func validate() throws {
        try FlagChecks.check(self)
        guard nprocPerNode >= 1 else { throw ValidationError("--nproc_per_node must be at least 1 (got \(nprocPerNode))") }
        guard nnodes >= 1, (0..<nnodes).contains(nodeRank) else {
            throw ValidationError("--node_rank \(nodeRank) must be in 0..<\(nnodes) (--nnodes)")
        }
        if nnodes > 1, masterPort == nil { throw ValidationError("--nnodes \(nnodes) needs --master_port (the same on every machine)") }
        if let port = masterPort, !(1...65535).contains(port) { throw ValidationError("--master_port \(port) is not a TCP port") }
        guard !command.isEmpty else {
            throw ValidationError("give the flags of each process after --, e.g. segmadiff launch --nproc_per_node 2 -- --mode train --img_dir ...")
        }
    }

    func run() throws {
        let port = try masterPort ?? Self.freePort()
        let worldSize = nnodes * nprocPerNode
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let group = ChildGroup()
        for local in 0..<nprocPerNode {
            let rank = nodeRank * nprocPerNode + local
            var environment = ProcessInfo.processInfo.environment
            environment["MASTER_ADDR"] = masterAddr
            environment["MASTER_PORT"] = "\(port)"
            environment["WORLD_SIZE"] = "\(worldSize)"
            environment["RANK"] = "\(rank)"
            environment["LOCAL_RANK"] = "\(local)"
            environment["LOCAL_WORLD_SIZE"] = "\(nprocPerNode)"
            environment["GROUP_RANK"] = "\(nodeRank)"
            try group.start(executable: executable, arguments: command, environment: environment, rank: rank)
        }
        group.forwardSignals()
        let status = group.waitForAll(gracePeriod: gracePeriod)
        if status != 0 { Foundation.exit(status) }
    }

    /// A port the kernel says is free now (rank 0 binds it a moment later).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("cannot open a socket to find a free port; pass --master_port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ValidationError("cannot find a free port; pass --master_port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The launched processes: started, watched, signalled together.
final class ChildGroup: @unchecked Sendable {
    private let lock = NSCondition()
    private var children: [(rank: Int, process: Process)] = []
    /// Rank and status of each child that has ended, in the order they ended.
    private var ended: [(rank: Int, status: Int32)] = []
    private var signalSources: [DispatchSourceSignal] = []
    private let outputLock = NSLock()

    func start(executable: URL, arguments: [String], environment: [String: String], rank: Int) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if rank > 0 {
            // Rank 0's output is passed through untouched (its progress bar included); the others'
            // lines get a prefix.
            process.standardOutput = prefixing(rank: rank, to: FileHandle.standardOutput)
            process.standardError = prefixing(rank: rank, to: FileHandle.standardError)
        }
        process.terminationHandler = { [weak self] finished in
            guard let self else { return }
            let status = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
            self.lock.lock()
            self.ended.append((rank, status))
            self.lock.signal()
            self.lock.unlock()
        }
        lock.lock()
        defer { lock.unlock() }
        try process.run()
        children.append((rank, process))
    }

    private func prefixing(rank: Int, to output: FileHandle) -> Pipe {
        let pipe = Pipe()
        let lock = outputLock
        nonisolated(unsafe) var pending = Data()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                if !pending.isEmpty { lock.withLock { output.write(Data("[rank \(rank)] ".utf8) + pending + Data("\n".utf8)) } }
                return
            }
            pending.append(chunk)
            while let newline = pending.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                if line.isEmpty { continue }
                lock.withLock { output.write(Data("[rank \(rank)] ".utf8) + line + Data("\n".utf8)) }
            }
        }
        return pipe
    }

    /// Ctrl-C and SIGTERM reach every child (each in its own process group) once.
    func forwardSignals() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.signalAll(number) }
            source.resume()
            signalSources.append(source)
        }
    }

    private func signalAll(_ number: Int32) {
        lock.lock()
        let running = children.filter { $0.process.isRunning }
        lock.unlock()
        for child in running { kill(child.process.processIdentifier, number) }
    }

    /// Waits for every child; after the first failure, asks the rest to stop (SIGTERM), and kills
    /// them after `gracePeriod` seconds. Returns 0, or the first failed child's status.
    func waitForAll(gracePeriod: Double) -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        var failure: (rank: Int, status: Int32)?
        var killAt: Date?
        while ended.count < children.count {
            if failure == nil, let failed = ended.first(where: { $0.status != 0 }) {
                failure = failed
                let others = children.filter { $0.process.isRunning }.map(\.rank)
                if !others.isEmpty {
                    FileHandle.standardError.write(Data("segmadiff launch: rank \(failed.rank) exited with status \(failed.status); stopping ranks \(others.map(String.init).joined(separator: ", "))\n".utf8))
                }
                for child in children where child.process.isRunning { kill(child.process.processIdentifier, SIGTERM) }
                killAt = Date().addingTimeInterval(gracePeriod)
            }
            if let deadline = killAt, Date() >= deadline {
                for child in children where child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
                killAt = nil
            }
            _ = lock.wait(until: Date().addingTimeInterval(0.2))
        }
        if let failure { return failure.status == 0 ? 1 : failure.status }
        return 0
    }
}
