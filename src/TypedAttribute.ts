/**
 * Typed attributes (AnyIO's `anyio.TypedAttributeSet`, `typed_attribute()`,
 * `TypedAttributeProvider`): extra information a stream or listener can give about itself (a
 * socket's addresses, a TLS stream's peer certificate, a process's pid), looked up by a typed key.
 *
 * A stream that wraps another one (a buffered stream over a socket, TLS over TCP) offers its own
 * attributes and every attribute of the stream it wraps: the lookup goes down the chain of
 * wrapped streams, and an outer stream may override an inner one's value.
 *
 * @since 0.2.0
 */
import { Effect, Exit } from "effect"
import { TypedAttributeLookupError } from "./Errors.ts"

export { TypedAttributeLookupError } from "./Errors.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

declare const AttributeType: unique symbol

/**
 * A typed attribute key (AnyIO's `typed_attribute()`): a unique object that names an attribute and
 * carries its value type `T`.
 *
 * **Details**: two keys are the same attribute only if they are the same object; the name is for
 * messages and printouts.
 *
 * @example
 * ```ts
 * import { typedAttribute } from "effect-anyio"
 * const requestId = typedAttribute<string>("app.requestId")
 * ```
 * @category models
 */
export interface TypedAttribute<out T> {
  readonly _tag: "TypedAttribute"
  readonly name: string
  /** Phantom: the attribute's value type. */
  readonly [AttributeType]?: (_: never) => T
}

/** The value type of a typed attribute key. @category models */
export type AttributeValue<K> = K extends TypedAttribute<infer T> ? T : never

/**
 * What a typed attribute provider offers: each attribute key mapped to a function that reads its
 * value now (AnyIO's `extra_attributes`).
 *
 * @category models
 */
export type TypedAttributeMap = ReadonlyMap<TypedAttribute<unknown>, () => unknown>

/**
 * Anything that offers typed attributes (AnyIO's `TypedAttributeProvider`): streams, listeners,
 * processes.
 *
 * **Details**
 * - `extra(attr)` reads the attribute, failing with `TypedAttributeLookupError` when this provider
 *   (and none of the providers it wraps) offers it; `extra(attr, default)` gives `default` instead.
 * - `extraAttributes` is the whole map, this provider's own entries over those of what it wraps.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type TypedAttributeProvider, typedAttribute } from "effect-anyio"
 * const requestId = typedAttribute<string>("app.requestId")
 * const idOf = (p: TypedAttributeProvider) => p.extra(requestId, "none") // Effect<string>
 * ```
 * @category models
 */
export interface TypedAttributeProvider {
  readonly extraAttributes: TypedAttributeMap
  extra<T>(attribute: TypedAttribute<T>): Effect.Effect<T, TypedAttributeLookupError>
  extra<T, D>(attribute: TypedAttribute<T>, defaultValue: D): Effect.Effect<T | D>
}

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

/**
 * Creates a typed attribute key (AnyIO's `typed_attribute()`).
 *
 * **When to use**: to declare the attributes a family of streams offers; group them in a plain
 * object (see {@link typedAttributeSet}).
 *
 * @example
 * ```ts
 * import { typedAttribute } from "effect-anyio"
 * const remotePort = typedAttribute<number>("socket.remotePort")
 * ```
 * @category constructors
 */
export const typedAttribute = <T>(name: string): TypedAttribute<T> =>
  Object.freeze({ _tag: "TypedAttribute", name })

/**
 * Declares a set of typed attributes (AnyIO's `TypedAttributeSet` subclass): a frozen object of
 * keys, each named `<setName>.<key>`.
 *
 * @example
 * ```ts
 * import { typedAttributeSet } from "effect-anyio"
 * const HttpAttribute = typedAttributeSet("http", {
 *   method: {} as string,
 *   path: {} as string
 * })
 * HttpAttribute.method // TypedAttribute<string>
 * ```
 * @category constructors
 */
export const typedAttributeSet = <const Shape extends Record<string, unknown>>(
  setName: string,
  shape: Shape
): { readonly [K in keyof Shape]: TypedAttribute<Shape[K]> } => {
  const out: Record<string, TypedAttribute<unknown>> = {}
  for (const key of Object.keys(shape)) out[key] = typedAttribute(`${setName}.${key}`)
  return Object.freeze(out) as { readonly [K in keyof Shape]: TypedAttribute<Shape[K]> }
}

/**
 * Builds an attribute map from entries, over the maps of wrapped providers (later maps win, so put
 * the wrapped streams' maps first and this stream's own entries last).
 *
 * **When to use**: in a stream that wraps another one, to offer the inner attributes as well.
 *
 * @example
 * ```ts
 * import { attributeMap, typedAttribute } from "effect-anyio"
 * const label = typedAttribute<string>("app.label")
 * const map = attributeMap([[label, () => "main"]])
 * ```
 * @category constructors
 */
export const attributeMap = (
  own: ReadonlyArray<readonly [TypedAttribute<unknown>, () => unknown]>,
  ...wrapped: ReadonlyArray<TypedAttributeMap>
): TypedAttributeMap => {
  if (wrapped.length === 0 && own.length === 0) return emptyAttributes
  const map = new Map<TypedAttribute<unknown>, () => unknown>()
  for (const m of wrapped) for (const [k, v] of m) map.set(k, v)
  for (const [k, v] of own) map.set(k, v)
  return map
}

/** The empty attribute map. @category constructors */
export const emptyAttributes: TypedAttributeMap = new Map()

// -----------------------------------------------------------------------------
// Operations
// -----------------------------------------------------------------------------

/**
 * Reads an attribute from a map: the implementation behind every provider's `extra`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { attributeMap, lookupAttribute, typedAttribute } from "effect-anyio"
 * const label = typedAttribute<string>("app.label")
 * const program = lookupAttribute(attributeMap([[label, () => "main"]]), label) // Effect<string, ...>
 * ```
 * @category operations
 */
export const lookupAttribute: {
  <T>(map: TypedAttributeMap, attribute: TypedAttribute<T>): Effect.Effect<T, TypedAttributeLookupError>
  <T, D>(map: TypedAttributeMap, attribute: TypedAttribute<T>, defaultValue: D): Effect.Effect<T | D>
} = (map: TypedAttributeMap, attribute: TypedAttribute<unknown>, ...rest: [] | [unknown]) =>
  // An explicit `undefined` default is a default (`extra(attr, undefined)`), as in AnyIO: providers
  // forward their arguments as given (`extra(attr, ...rest)`), so the count tells.
  Effect.suspend(() => {
    const getter = map.get(attribute)
    if (getter !== undefined) return Exit.succeed(getter())
    return rest.length === 1
      ? Exit.succeed(rest[0])
      : Exit.fail(
          new TypedAttributeLookupError({ message: "Attribute not found", attribute: attribute.name })
        )
  }) as never
