import CTorch
import Foundation

/// A failure of multi-process training: a peer that stopped or did not answer in time, or a
/// rendezvous that could not be made. Not a bug, so it is thrown (the CLI prints it in one line).
public struct DistributedError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One process's membership of a group of `worldSize` processes (one per device), on libtorch's
/// c10d: rendezvous through a TCPStore that rank 0 hosts, then Gloo between CPUs or NCCL between
/// GPUs. Every collective gives up with a `DistributedError` when a peer dies or does not answer
/// within `timeout`, rather than waiting forever.
public final class ProcessGroup: @unchecked Sendable {
    let handle: ct_process_group
    public let rank: Int
    public let worldSize: Int
    public let device: Device
    /// Seconds a collective (or the rendezvous) waits for the other processes.
    public let timeout: Double

    public init(masterAddress: String, masterPort: Int, rank: Int, worldSize: Int, device: Device, timeout: Double) throws {
        var out: ct_process_group?
        if let error = ct_dist_init(&out, masterAddress, Int32(masterPort), Int32(rank), Int32(worldSize), device.cType, timeout) {
            throw DistributedError("rank \(rank) of \(worldSize) could not join the others at \(masterAddress):\(masterPort) within \(Self.seconds(timeout)) (\(Self.firstLine(error))); check that every rank was started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE")
        }
        handle = out!
        self.rank = rank
        self.worldSize = worldSize
        self.device = device
        self.timeout = timeout
    }

    deinit { ct_dist_free(handle) }

    public var isMain: Bool { rank == 0 }

    /// Copies rank `root`'s values into `tensors` on every rank (in place).
    public func broadcast(_ tensors: [Tensor], from root: Int = 0) throws {
        let handles = tensors.map { Optional($0.handle) }
        try withExtendedLifetime(tensors) {
            try check("broadcast", ct_dist_broadcast(handle, handles, Int64(handles.count), Int32(root)))
        }
    }

    /// Sums `tensor` over all ranks, in place. A CPU tensor in a GPU group (NCCL reduces on the GPU
    /// only) makes the trip to the group's device and back.
    public func allReduceSum(_ tensor: Tensor) throws {
        if case .cuda = device, tensor.device == .cpu {
            let onDevice = tensor.to(device)
            try allReduceSum(onDevice)
            withNoGrad { tensor.copy(from: onDevice) }
            return
        }
        try withExtendedLifetime(tensor) { try check("all_reduce", ct_dist_allreduce_sum(handle, tensor.handle)) }
    }

    /// Returns once every rank has called it.
    public func barrier() throws { try check("barrier", ct_dist_barrier(handle)) }

    func check(_ operation: String, _ error: ct_error?) throws {
        guard let error else { return }
        throw DistributedError("rank \(rank) of \(worldSize): \(operation) failed: another process stopped, or did not answer within \(Self.seconds(timeout)) (--dist_timeout) (\(Self.firstLine(error)))")
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// c10d's messages can span lines and start with a C++ source position; the first line, without
    /// the position, says it.
    static func firstLine(_ message: UnsafePointer<CChar>) -> String {
        let text = String(cString: message)
        var line = text.split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? text
        if line.hasPrefix("["), let end = line.firstIndex(of: "]"), line[..<end].contains(":") {
            line = String(line[line.index(after: end)...]).trimmingCharacters(in: .whitespaces)
        }
        return line
    }
}

/// Data-parallel gradient averaging for a fixed list of parameters: hooks on the parameters copy
/// each gradient into a flat bucket as backward produces it, and each full bucket (about
/// `bucketBytes`) is all-reduced at once, overlapping the rest of backward. `finish()` after
/// `backward()` waits for the buckets and leaves every `.grad` holding the mean over the ranks.
public final class GradientSync {
    let handle: ct_grad_sync
    public let group: ProcessGroup
    let parameters: [Tensor]

    public init(_ parameters: [Tensor], group: ProcessGroup, bucketBytes: Int = 25 << 20) throws {
        let handles = parameters.map { Optional($0.handle) }
        var out: ct_grad_sync?
        let error = withExtendedLifetime(parameters) {
            ct_grad_sync_new(&out, group.handle, handles, Int64(handles.count), Int64(Swift.max(1, bucketBytes)))
        }
        if let error { throw DistributedError("gradient buckets: \(String(cString: error))") }
        handle = out!
        self.group = group
        self.parameters = parameters
    }

    deinit { ct_grad_sync_free(handle) }

    public var bucketCount: Int { Int(ct_grad_sync_bucket_count(handle)) }

    /// Waits for this step's all-reduces and writes the averaged gradients.
    public func finish() throws { try group.check("gradient all-reduce", ct_grad_sync_finish(handle)) }
}

extension Device {
    /// Makes `self` the current CUDA device of this thread (no-op on the CPU).
    public func makeCurrent() throws {
        guard case .cuda(let index) = self else { return }
        if let error = ct_cuda_set_device(Int32(index)) {
            throw DistributedError("cannot use GPU \(index): \(String(cString: error))")
        }
    }
}
