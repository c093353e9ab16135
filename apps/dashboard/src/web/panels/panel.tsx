import type { ReactNode } from 'react';

/** A panel of the page's grid: a Pico card with a title, `data-testid="panel-<name>"`. */
export function Panel({
  name,
  title,
  aside,
  wide,
  children,
}: {
  name: string;
  title: string;
  aside?: ReactNode;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <article
      className={`panel panel-${name}${wide === true ? ' wide' : ''}`}
      data-testid={`panel-${name}`}
    >
      <header className="panel-head">
        <h2>{title}</h2>
        {aside}
      </header>
      {children}
    </article>
  );
}
