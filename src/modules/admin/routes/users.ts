import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ADMIN_PREFIX, actorOf, adminRoute, tags } from './common.js';
import type { AdminService } from '../service.js';
import {
  adminUser,
  adminVerification,
  idParams,
  pageQuery,
  suspendBody,
  topupView,
  unsuspendBody,
  userDetail,
  userSearchQuery,
} from '../views.js';

/** Finding users and reading their account; suspending and unsuspending them. */
export function registerAdminUserRoutes(app: FastifyInstance, admin: AdminService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    `${ADMIN_PREFIX}/users`,
    {
      ...adminRoute(),
      schema: {
        tags,
        querystring: userSearchQuery,
        response: { 200: z.object({ data: z.array(adminUser), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => admin.searchUsers(request.query),
  );

  r.get(
    `${ADMIN_PREFIX}/users/:id`,
    { ...adminRoute(['not_found']), schema: { tags, params: idParams, response: { 200: userDetail } } },
    async (request) => admin.userDetail(request.params.id),
  );

  r.get(
    `${ADMIN_PREFIX}/users/:id/verifications`,
    {
      ...adminRoute(['not_found']),
      schema: {
        tags,
        params: idParams,
        querystring: pageQuery,
        response: { 200: z.object({ data: z.array(adminVerification), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => admin.userVerifications(request.params.id, request.query),
  );

  r.get(
    `${ADMIN_PREFIX}/users/:id/topups`,
    {
      ...adminRoute(['not_found']),
      schema: {
        tags,
        params: idParams,
        querystring: pageQuery,
        response: { 200: z.object({ data: z.array(topupView), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => admin.userTopups(request.params.id, request.query),
  );

  r.post(
    `${ADMIN_PREFIX}/users/:id/suspend`,
    {
      ...adminRoute(['not_found']),
      schema: { tags, params: idParams, body: suspendBody, response: { 200: adminUser } },
    },
    async (request) => admin.suspend(actorOf(request), request.params.id, request.body.reason),
  );

  r.post(
    `${ADMIN_PREFIX}/users/:id/unsuspend`,
    {
      ...adminRoute(['not_found']),
      schema: { tags, params: idParams, body: unsuspendBody.optional(), response: { 200: adminUser } },
    },
    async (request) => admin.unsuspend(actorOf(request), request.params.id, request.body?.reason),
  );
}
