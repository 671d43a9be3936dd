import { z } from 'zod';

const uri = z.string().min(1).max(2000);

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

export const clientCreateBody = z.strictObject({
  client_name: z.string().min(1).max(100),
  redirect_uris: z.array(uri).max(20).optional(),
  post_logout_redirect_uris: z.array(uri).max(20).optional(),
  public: z.boolean().optional(),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).max(3).optional(),
  scope: z.string().max(1000).optional(),
  admin: z.boolean().optional(),
  first_party: z.boolean().optional(),
  logo_uri: uri.optional(),
  policy_uri: uri.optional(),
  tos_uri: uri.optional(),
  resources: z.array(uri).max(50).optional(),
});

export const clientPatchBody = clientCreateBody.omit({ public: true }).partial();

export const userCreateBody = z.strictObject({
  email: z.string().min(3).max(254),
  name: z.string().max(200).nullable().optional(),
  password: z.string().min(1).max(1024),
  with_totp: z.boolean().optional(),
});

export const userPatchBody = z.strictObject({
  name: z.string().max(200).nullable().optional(),
  status: z.enum(['active', 'disabled']).optional(),
  password: z.string().min(1).max(1024).optional(),
});

export const auditQuery = z.strictObject({
  type: z.string().max(100).optional(),
  account_id: z.string().max(100).optional(),
  client_id: z.string().max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().min(1).max(200).optional(),
});
