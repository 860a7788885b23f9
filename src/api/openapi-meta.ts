// The apimachinery meta schemas (ObjectMeta, ListMeta, Status, Patch, DeleteOptions) that the
// generated OpenAPI documents reference, trimmed to the fields dockfence serves. Pure.

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** The meta component schemas; `ref` turns a component name into a $ref for v2 or v3. */
export function metaSchemas(ref: (name: string) => string): Record<string, unknown> {
  const str = (description: string): object => ({ type: 'string', description });
  const map = (description: string): object => ({ type: 'object', description, additionalProperties: { type: 'string' } });
  return {
    [`${META}.ObjectMeta`]: {
      type: 'object',
      description: 'ObjectMeta is metadata that all persisted resources must have.',
      properties: {
        name: str('Name must be a DNS-1123 label of at most 63 characters, unique per kind.'),
        generateName: str('Prefix for a server-generated name, used when name is not set.'),
        uid: str('Unique identifier of this object, set by the server.'),
        resourceVersion: str('Opaque version of this object, set by the server; required for updates.'),
        generation: { type: 'integer', format: 'int64', description: 'Sequence number of the desired state (spec), set by the server.' },
        creationTimestamp: { type: 'string', format: 'date-time', description: 'When this object was created, set by the server.' },
        labels: map('Map of string keys and values used to organize and select objects.'),
        annotations: map('Unstructured key value map for arbitrary metadata.'),
        managedFields: { type: 'array', description: 'Which field manager owns which fields.', items: { $ref: ref(`${META}.ManagedFieldsEntry`) } },
      },
    },
    [`${META}.ManagedFieldsEntry`]: {
      type: 'object',
      description: 'The field set owned by one manager.',
      properties: {
        manager: str('Name of the manager.'),
        operation: str('Apply or Update.'),
        apiVersion: str('Version of the fields.'),
        time: { type: 'string', format: 'date-time', description: 'When the fields last changed.' },
        fieldsType: str('Always FieldsV1.'),
        fieldsV1: { type: 'object', description: 'The owned fields.' },
        subresource: str('The subresource written, if any.'),
      },
    },
    [`${META}.ListMeta`]: {
      type: 'object',
      description: 'ListMeta describes a list.',
      properties: { resourceVersion: str('Version of the list, to start a watch from.'), continue: str('Never set.') },
    },
    [`${META}.Status`]: {
      type: 'object',
      description: 'Status is the return value for calls that do not return other objects.',
      properties: {
        apiVersion: str('v1'),
        kind: str('Status'),
        status: str('Success or Failure.'),
        message: str('A human-readable description.'),
        reason: str('A machine-readable reason.'),
        code: { type: 'integer', format: 'int32', description: 'The HTTP status code.' },
        details: { type: 'object', description: 'Name, kind and field causes.', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    [`${META}.Patch`]: { type: 'object', description: 'A JSON patch, a JSON merge patch, or an apply configuration.' },
    [`${META}.DeleteOptions`]: {
      type: 'object',
      description: 'DeleteOptions may be provided when deleting an object.',
      properties: {
        apiVersion: str('v1'),
        kind: str('DeleteOptions'),
        dryRun: { type: 'array', items: { type: 'string' }, description: 'All: do not persist.' },
        propagationPolicy: str('Orphan, Background or Foreground (no effect: no dependents).'),
        preconditions: {
          type: 'object',
          description: 'Delete only if uid and/or resourceVersion match.',
          properties: { uid: str('Expected uid.'), resourceVersion: str('Expected resourceVersion.') },
        },
      },
    },
  };
}
