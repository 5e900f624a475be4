import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Compass } from 'lucide-react';
import { Empty } from '../../common/States';

export default function NotFoundPage() {
  const { t } = useTranslation('planned');
  return (
    <div data-testid="not-found">
      <Empty
        icon={<Compass size={32} strokeWidth={1.5} aria-hidden />}
        title={t('notFound.title')}
        description={t('notFound.body')}
        action={
          <Link to="/fleet" className="btn">
            {t('notFound.home')}
          </Link>
        }
      />
    </div>
  );
}
