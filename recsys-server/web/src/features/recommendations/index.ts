export { RecommendationRow } from './components/RecommendationRow'
export { useForYouQuery, useSimilarQuery, useBoughtTogetherQuery } from './api'
