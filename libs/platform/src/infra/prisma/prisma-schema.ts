import { readFileSync } from 'node:fs';

export interface PrismaField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  nativeType: string | undefined;
}

export interface PrismaModel {
  name: string;
  schema: string;
  table: string;
  fields: PrismaField[];
}

const SCALARS = new Set(['String', 'Int', 'BigInt', 'Float', 'Decimal', 'Boolean', 'DateTime', 'Json', 'Bytes']);

/**
 * A small reader of schema.prisma's model blocks (scalar fields, @map, @@map, @@schema, @db.*), enough
 * to compare the schema with the migrated database without Prisma's engines.
 */
export function readPrismaModels(schemaPath: string): PrismaModel[] {
  const source = readFileSync(schemaPath, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const models: PrismaModel[] = [];
  // A block ends at the first line that is only `}`; braces inside strings (`@default("{}")`) do not count.
  for (const match of source.matchAll(/^model\s+(\w+)\s*\{\s*$([\s\S]*?)^\}\s*$/gm)) {
    const name = match[1] ?? '';
    const body = match[2] ?? '';
    let table = name;
    let schema = 'public';
    const fields: PrismaField[] = [];
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      table = /^@@map\("([^"]+)"\)/.exec(line)?.[1] ?? table;
      schema = /^@@schema\("([^"]+)"\)/.exec(line)?.[1] ?? schema;
      if (line.startsWith('@@')) continue;
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field) continue;
      const [, fieldName, type, list, optional, attributes] = field as unknown as [string, string, string, string | undefined, string | undefined, string];
      if (!SCALARS.has(type)) continue; // relation fields have no column
      fields.push({
        name: fieldName,
        column: /@map\("([^"]+)"\)/.exec(attributes)?.[1] ?? fieldName,
        type,
        optional: optional === '?',
        list: list === '[]',
        nativeType: /@db\.(\w+)/.exec(attributes)?.[1],
      });
    }
    models.push({ name, schema, table, fields });
  }
  return models;
}

/** Postgres `udt_name`s a Prisma scalar may map to. */
export function compatibleColumnTypes(field: PrismaField): string[] {
  const base = ((): string[] => {
    switch (field.type) {
      case 'String':
        return field.nativeType === 'Uuid' ? ['uuid'] : ['text', 'varchar', 'bpchar', 'uuid'];
      case 'Int':
        return ['int4', 'int2'];
      case 'BigInt':
        return ['int8'];
      case 'Float':
        return ['float8', 'float4'];
      case 'Decimal':
        return ['numeric'];
      case 'Boolean':
        return ['bool'];
      case 'DateTime':
        return ['timestamptz', 'timestamp'];
      case 'Json':
        return ['jsonb', 'json'];
      case 'Bytes':
        return ['bytea'];
      default:
        return [];
    }
  })();
  return field.list ? base.map((t) => `_${t}`) : base;
}
