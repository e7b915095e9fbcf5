import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './test-database';
import { compatibleColumnTypes, createPrismaClient, Database, findUp, readPrismaModels } from '@cairn/platform';

// Migrations are hand-written SQL (prisma migrate cannot run here); this keeps schema.prisma honest.
const CONTEXT_SCHEMAS = ['tracking', 'artifacts', 'registry', 'webhooks', 'identity'];
const models = readPrismaModels(findUp(path.join('prisma', 'schema.prisma')));

describe('prisma/schema.prisma matches the migrated database', () => {
  let db: TestDatabase;
  let columns: Map<string, { udt: string; nullable: boolean }>;
  let tables: Set<string>;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ table_schema: string; table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
      `SELECT table_schema, table_name, column_name, udt_name, is_nullable FROM information_schema.columns
       WHERE table_schema = ANY($1::text[])`,
      [['public', ...CONTEXT_SCHEMAS]],
    );
    await client.end();
    columns = new Map(rows.map((r) => [`${r.table_schema}.${r.table_name}.${r.column_name}`, { udt: r.udt_name, nullable: r.is_nullable === 'YES' }]));
    tables = new Set(rows.map((r) => `${r.table_schema}.${r.table_name}`));
  }, 60_000);

  afterAll(() => db.drop());

  it.each(models.map((m) => [m.name, m] as const))('model %s: every field is a column of the right type and nullability', (_name, model) => {
    for (const field of model.fields) {
      const column = columns.get(`${model.schema}.${model.table}.${field.column}`);
      expect({ field: field.name, exists: column !== undefined }).toEqual({ field: field.name, exists: true });
      expect({ field: field.name, type: column !== undefined && compatibleColumnTypes(field).includes(column.udt) }).toEqual({ field: field.name, type: true });
      expect({ field: field.name, nullable: column?.nullable }).toEqual({ field: field.name, nullable: field.optional });
    }
  });

  it('every table of the context schemas has a Prisma model, with every column', () => {
    const modelled = new Map(models.map((m) => [`${m.schema}.${m.table}`, new Set(m.fields.map((f) => f.column))]));
    const missingTables = [...tables].filter((t) => !modelled.has(t));
    expect(missingTables).toEqual([]);
    const missingColumns = [...columns.keys()].filter((key) => {
      const [schema, table, column = ''] = key.split('.');
      return !modelled.get(`${schema}.${table}`)?.has(column);
    });
    expect(missingColumns).toEqual([]);
  });

  it('the generated client reads every model from the migrated database', async () => {
    const database = new Database(db.url, { max: 2 });
    const prisma = createPrismaClient(database);
    try {
      for (const model of models) {
        const delegate = (prisma as unknown as Record<string, { findFirst(): Promise<unknown> } | undefined>)[
          model.name.charAt(0).toLowerCase() + model.name.slice(1)
        ];
        expect({ model: model.name, generated: delegate !== undefined }).toEqual({ model: model.name, generated: true });
        // Selects every scalar column of the model: a missing or mistyped column fails here.
        await delegate?.findFirst();
      }
    } finally {
      await prisma.$disconnect();
      await database.close();
    }
  });
});
