/// A layer or model. Its children and parameters are found by reflection over the properties marked
/// `@Child` and `@Parameter`, so state-dict keys follow the property names (or the key a wrapper
/// gives where the Swift name differs): `down_blocks.0.resnets.1.conv1.weight`. Arrays of modules
/// become `.0`, `.1`, ...; an optional child or parameter that is nil is left out. Plain stored
/// tensors are buffers: used in forward, never saved or trained.
open class Module {
    public init() {}

    /// Direct children with their keys, in declaration order (superclass first).
    public func namedChildren() -> [(key: String, module: Module)] {
        var result: [(String, Module)] = []
        visit(Mirror(reflecting: self)) { label, value in
            guard let slot = value as? ChildSlot else { return }
            let key = slot.key ?? label
            for (suffix, module) in slot.modules {
                result.append((suffix.map { "\(key).\($0)" } ?? key, module))
            }
        }
        return result
    }

    /// This module's own parameters (not its children's) with their keys.
    func ownParameters() -> [(key: String, slot: ParameterSlot)] {
        var result: [(String, ParameterSlot)] = []
        visit(Mirror(reflecting: self)) { label, value in
            guard let slot = value as? ParameterSlot, slot.tensor != nil else { return }
            result.append((slot.key ?? label, slot))
        }
        return result
    }

    /// Every parameter in the tree, keyed by its dotted state-dict path.
    public func namedParameters() -> [(key: String, tensor: Tensor)] {
        namedSlots().map { ($0.key, $0.slot.tensor!) }
    }

    func namedSlots(prefix: String = "") -> [(key: String, slot: ParameterSlot)] {
        var result = ownParameters().map { (prefix + $0.key, $0.slot) }
        for (key, child) in namedChildren() {
            result += child.namedSlots(prefix: prefix + key + ".")
        }
        return result
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    public func stateDict() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.key, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// Copies `stateDict` into the parameters in place. With `strict`, a key the model lacks is an
    /// error too; a missing key or a shape that does not match always is. Nothing is changed on error.
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws {
        let slots = namedSlots()
        var problems = StateDictMismatch()
        for (key, slot) in slots {
            guard let value = stateDict[key] else {
                problems.missing.append(key)
                continue
            }
            let expected = slot.tensor!.shape
            if value.shape != expected {
                problems.wrongShape.append((key, found: value.shape, expected: expected))
            }
        }
        if strict {
            let known = Set(slots.map(\.key))
            problems.unexpected = stateDict.keys.filter { !known.contains($0) }.sorted()
        }
        guard problems.isEmpty else { throw problems }
        withNoGrad {
            for (key, slot) in slots { slot.tensor!.copy(from: stateDict[key]!) }
        }
    }

    /// Replaces every parameter with `transform(parameter)` (device or dtype moves), keeping the
    /// requires-grad flag.
    public func mapParameters(_ transform: (Tensor) -> Tensor) {
        for (_, slot) in namedSlots() {
            let old = slot.tensor!
            let trainable = old.requiresGrad
            let new = withNoGrad { transform(old).detached() }
            if trainable { new.requiresGrad = true }
            slot.replace(with: new)
        }
    }

    public func to(_ device: Device) { mapParameters { $0.to(device) } }

    /// Marks every parameter as trainable (or frozen).
    public func setRequiresGrad(_ on: Bool) {
        for tensor in parameters() { tensor.requiresGrad = on }
    }

    private func visit(_ mirror: Mirror, _ body: (String, Any) -> Void) {
        if let parent = mirror.superclassMirror { visit(parent, body) }
        for child in mirror.children {
            guard var label = child.label else { continue }
            if label.hasPrefix("_") { label.removeFirst() } // property-wrapper storage
            body(label, child.value)
        }
    }
}

/// The keys that did not fit when loading a state dict, as one readable message.
public struct StateDictMismatch: Error, CustomStringConvertible {
    public init() {}

    public var missing: [String] = []
    public var unexpected: [String] = []
    public var wrongShape: [(key: String, found: [Int], expected: [Int])] = []

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && wrongShape.isEmpty }

    public var description: String {
        var parts: [String] = []
        func list(_ keys: [String]) -> String {
            keys.count <= 6 ? keys.joined(separator: ", ") : keys.prefix(6).joined(separator: ", ") + " and \(keys.count - 6) more"
        }
        if !wrongShape.isEmpty {
            let shown = wrongShape.prefix(4).map { "\($0.key) is \($0.found) but the model expects \($0.expected)" }
            parts.append(shown.joined(separator: "; ") + (wrongShape.count > 4 ? " (and \(wrongShape.count - 4) more)" : ""))
        }
        if !missing.isEmpty { parts.append("missing keys: \(list(missing))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(list(unexpected))") }
        return parts.joined(separator: "; ")
    }
}

/// A trainable tensor of a module (`Tensor`, or `Tensor?` where it is optional), saved in its state
/// dict under the property's name or `key`.
@propertyWrapper
public final class Parameter<Value> {
    private var value: Value?
    public let key: String?

    public var wrappedValue: Value {
        get { value! }
        set { value = newValue }
    }

    public init(wrappedValue: Value, key: String? = nil) {
        self.value = wrappedValue
        self.key = key
    }

    public init(key: String) {
        self.key = key
    }
}

protocol ParameterSlot: AnyObject {
    var key: String? { get }
    var tensor: Tensor? { get }
    func replace(with tensor: Tensor)
}

extension Parameter: ParameterSlot {
    var tensor: Tensor? { value.flatMap { $0 as? Tensor } }
    func replace(with tensor: Tensor) { value = (tensor as! Value) }
}

/// A sub-module (or an array or optional of them), keyed by the property's name or `key`.
/// With a key, the module may be assigned later in `init` (`@Child(key: "to_out.0") var output: Linear`).
@propertyWrapper
public struct Child<Value> {
    private var value: Value?
    public let key: String?

    public var wrappedValue: Value {
        get { value! }
        set { value = newValue }
    }

    public init(wrappedValue: Value, key: String? = nil) {
        self.value = wrappedValue
        self.key = key
    }

    public init(key: String) {
        self.key = key
    }
}

protocol ChildSlot {
    var key: String? { get }
    /// The modules held, with the index suffix of array elements.
    var modules: [(suffix: String?, module: Module)] { get }
}

extension Child: ChildSlot {
    var modules: [(suffix: String?, module: Module)] {
        guard let wrappedValue = value else { return [] }
        if let module = wrappedValue as? Module { return [(nil, module)] }
        if let array = wrappedValue as? [Module] { return array.enumerated().map { ("\($0.offset)", $0.element) } }
        return []
    }
}
