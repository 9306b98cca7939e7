import type { Kysely } from 'kysely';
import { columnTypes, engineOf, idColumnType } from '../dialect.js';

/**
 * Pseudonymous patient examinations: one row per examination hash, linked to
 * the pseudo patient. Created or reused when a SensitiveMeta is validated
 * (`sensitive_meta.pseudo_examination_id` points here). Dates stay empty for
 * pseudo records: the real examination date is an identifier.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);
  await db.schema
    .createTable('patient_examinations')
    .addColumn('id', idColumnType(engine), (c) => c.primaryKey())
    .addColumn('patient_id', 'integer', (c) => c.notNull().references('patients.id').onDelete('restrict'))
    .addColumn('examination_id', 'integer', (c) => c.references('examinations.id').onDelete('set null'))
    .addColumn('center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('date_start', 'varchar(10)')
    .addColumn('date_end', 'varchar(10)')
    .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('is_pseudo', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('patient_examinations_patient').on('patient_examinations').column('patient_id').execute();
  await db.schema.createIndex('patient_examinations_center').on('patient_examinations').column('center_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('patient_examinations').ifExists().execute();
}
