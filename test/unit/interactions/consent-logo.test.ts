import { pageContentSecurityPolicy } from '../../../src/http/security-headers.js';
import { consentLogo } from '../../../src/interactions/show-interaction.js';

describe("the consent page's client logo", () => {
  it('shows an https logo and lets the page load images from that origin alone', () => {
    expect(consentLogo('https://cdn.example.com/brand/logo.png?v=2')).toEqual({ src: 'https://cdn.example.com/brand/logo.png?v=2', origin: 'https://cdn.example.com' });
    const policy = pageContentSecurityPolicy('https://cdn.example.com');
    expect(policy).toContain('img-src data: https://cdn.example.com;');
    expect(policy).toContain("default-src 'none'");
    expect(pageContentSecurityPolicy()).toContain('img-src data:;');
  });

  it('shows inline images, and nothing from http or other schemes', () => {
    expect(consentLogo('data:image/png;base64,iVBORw0KGgo=')).toEqual({ src: 'data:image/png;base64,iVBORw0KGgo=' });
    for (const uri of ['http://cdn.example.com/logo.png', 'javascript:alert(1)', 'data:text/html,<script>', 'not a url', undefined]) expect(consentLogo(uri)).toBeUndefined();
  });
});
