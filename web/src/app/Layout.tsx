import { Suspense, useState } from 'react';
import { Outlet, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Loading } from '../common/States';
import { Sidebar } from './Sidebar';
import { TopBar } from './TopBar';
import { useNavCluster } from './hooks';

export function Layout() {
  const { t } = useTranslation('app');
  const { cluster: routeCluster } = useParams();
  const cluster = useNavCluster(routeCluster);
  const [menu, setMenu] = useState(false);
  return (
    <div className="flex h-full">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-surface focus:px-3 focus:py-2">
        {t('skip')}
      </a>
      <div className="hidden shrink-0 lg:block">
        <Sidebar cluster={cluster} />
      </div>
      {menu && (
        <div className="fixed inset-0 z-40 flex lg:hidden">
          <div className="absolute inset-0 bg-black/40" onClick={() => setMenu(false)} aria-hidden />
          <div className="relative">
            <Sidebar cluster={cluster} onNavigate={() => setMenu(false)} />
          </div>
        </div>
      )}
      <div className="flex min-w-0 flex-1 flex-col">
        <TopBar cluster={cluster} onMenu={() => setMenu(true)} />
        <main id="main" className="flex min-h-0 flex-1 flex-col" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
