import ArgumentParser
import Foundation
import Torch
import Training

/// Where this process stands in a multi-process run, from the environment variables torchrun sets
/// (and `segmadiff launch`, SLURM scripts and similar launchers): RANK, WORLD_SIZE, LOCAL_RANK,
/// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. No WORLD_SIZE, or 1, is a single process.
struct DistributedEnvironment: Equatable {
    var rank: Int
    var worldSize: Int
    var localRank: Int
    var localWorldSize: Int
    var masterAddress: String
    var masterPort: Int

    /// nil for a single process; an error for a half-set or inconsistent environment.
    static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DistributedEnvironment? {
        guard let worldText = environment["WORLD_SIZE"] else { return nil }
        func integer(_ name: String, default value: Int? = nil) throws -> Int {
            guard let text = environment[name] else {
                if let value { return value }
                throw UsageError("WORLD_SIZE is set (\(worldText)) but \(name) is not; start each process with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun and `segmadiff launch` set them)")
            }
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), number >= 0 else {
                throw UsageError("\(name)=\(text) is not a non-negative integer")
            }
            return number
        }
        let worldSize = try integer("WORLD_SIZE")
        guard worldSize >= 1 else { throw UsageError("WORLD_SIZE=\(worldText) must be at least 1") }
        guard worldSize > 1 else { return nil }
        let rank = try integer("RANK")
        guard rank < worldSize else { throw UsageError("RANK=\(rank) must be below WORLD_SIZE=\(worldSize)") }
        guard let address = environment["MASTER_ADDR"], !address.isEmpty else {
            throw UsageError("WORLD_SIZE=\(worldSize) needs MASTER_ADDR (the host of rank 0) and MASTER_PORT")
        }
        let port = try integer("MASTER_PORT")
        guard (1...65535).contains(port) else { throw UsageError("MASTER_PORT=\(port) is not a TCP port") }
        let localRank = try integer("LOCAL_RANK", default: rank)
        let localWorldSize = try integer("LOCAL_WORLD_SIZE", default: worldSize)
        return DistributedEnvironment(rank: rank, worldSize: worldSize, localRank: localRank,
                                      localWorldSize: max(1, localWorldSize), masterAddress: address, masterPort: port)
    }

    /// Each process's device: GPU LOCAL_RANK (one per process), or the CPU.
    func device(_ resolved: Device) -> Device {
        if case .cuda = resolved { return .cuda(localRank) }
        return .cpu
    }

    /// Joins the group on `device` (NCCL for GPUs, Gloo for CPUs).
    func join(device: Device, timeout: Double) throws -> ProcessGroup {
        if case .cuda(let index) = device {
            guard index < Engine.cudaDeviceCount else {
                throw UsageError("LOCAL_RANK \(localRank) needs GPU \(index), but \(Engine.cudaDeviceCount) are visible; start at most one process per GPU")
            }
            try device.makeCurrent()
        }
        return try ProcessGroup(masterAddress: masterAddress, masterPort: masterPort, rank: rank, worldSize: worldSize,
                                device: device, timeout: timeout)
    }
}
