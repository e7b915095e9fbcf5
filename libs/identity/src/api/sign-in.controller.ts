import { Controller, Get, HttpCode, Inject, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { AccessRules, CONFIG, isLoopbackHost, type CairnConfig } from '@cairn/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_TTL_S, SignInService } from '../application/sign-in.service';
import { cookieValue } from './access.guard';
import { clearedCookies, SESSION_COOKIE, sessionCookies } from './cookies';
import { SIGN_IN_ACCESS } from './sign-in.access';

type Params = Record<string, unknown>;

/**
 * Browser sign-in for the web UI (OIDC authorization code + PKCE): `/auth/login` sends the browser
 * to the identity provider, `/auth/callback` opens a session and sets its cookies, `/auth/session`
 * tells the UI who is signed in (and its CSRF token), `/auth/logout` ends it.
 */
@Controller('auth')
@AccessRules(SIGN_IN_ACCESS)
export class SignInController {
  private readonly logger = new Logger('identity');
  private warnedNoPublicUrl = false;

  constructor(
    @Inject(SignInService) private readonly signIn: SignInService,
    @Inject(CONFIG) private readonly config: CairnConfig,
  ) {}

  @Get('login')
  async login(@Query() q: Params, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const location = await this.signIn.start(q['return_to'], this.redirectUri(request));
    return reply.status(302).header('cache-control', 'no-store').header('location', location).send();
  }

  @Get('callback')
  async callback(@Query() q: Params, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.signIn.finish({ code: q['code'], state: q['state'], error: q['error'] }, this.redirectUri(request));
    return reply
      .status(302)
      .header('cache-control', 'no-store')
      .header('set-cookie', sessionCookies(session, SESSION_TTL_S, this.secure()))
      .header('location', session.returnTo)
      .send();
  }

  @Get('session')
  session(@Req() request: FastifyRequest) {
    return this.signIn.current(cookieValue(request.headers.cookie, SESSION_COOKIE), request.ip);
  }

  /** 200 `{}`; with `?redirect=1`, 303 to the provider's end-session endpoint when it has one. */
  @Post('logout')
  @HttpCode(200)
  async logout(@Query() q: Params, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const csrf = request.headers['x-csrf-token'];
    const endSession = await this.signIn.logout(cookieValue(request.headers.cookie, SESSION_COOKIE), Array.isArray(csrf) ? csrf[0] : csrf);
    void reply.header('set-cookie', clearedCookies(this.secure())).header('cache-control', 'no-store');
    if (q['redirect'] === '1' && endSession !== undefined) {
      const url = new URL(endSession);
      url.searchParams.set('client_id', this.config.auth.oidc?.clientId ?? '');
      url.searchParams.set('post_logout_redirect_uri', `${this.publicUrl(request)}/`);
      return reply.status(303).header('location', url.toString()).send();
    }
    return reply.status(200).send({});
  }

  private redirectUri(request: FastifyRequest): string {
    return `${this.publicUrl(request)}/auth/callback`;
  }

  /** CAIRN_PUBLIC_URL, else the address this server listens on (right for a loopback server only). */
  private publicUrl(request: FastifyRequest): string {
    const configured = this.config.auth.publicUrl;
    if (configured !== undefined) return configured.replace(/\/+$/, '');
    if (!this.warnedNoPublicUrl && !isLoopbackHost(this.config.host)) {
      this.warnedNoPublicUrl = true;
      this.logger.warn(`browser sign-in without CAIRN_PUBLIC_URL: redirecting to the listen address ${this.config.host}`);
    }
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host}:${request.socket.localPort ?? this.config.port}`;
  }

  private secure(): boolean {
    return this.config.auth.publicUrl?.startsWith('https:') === true;
  }
}
