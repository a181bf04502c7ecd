// SPDX-License-Identifier: Apache-2.0
import type { SceneInfo } from '../studio/scene_info';

interface Props {
  scene: SceneInfo | undefined;
  selected: string | undefined;
  /// Selects the object in the engine (`scene__select_objects`) and in the forms' name fields.
  on_select: (name: string) => void;
}

const TYPE_ICONS: Record<string, string> = { mesh: '▲', camera: '◉', light: '☀', empty: '✛', curve: '∿', font: 'T', armature: '⟟' };

/// The scene's objects from the engine's scene summary, as Blender's outliner lists them: click
/// selects. Materials and collections below, as the pickers of the forms offer them.
export function Outliner({ scene, selected, on_select }: Props) {
  if (!scene) return <div className="panel-empty">The scene appears when the engine describes it.</div>;
  if (scene.objects.length === 0) return <div className="panel-empty">The scene is empty.</div>;
  return (
    <div className="outliner">
      <ul role="listbox" aria-label="Scene objects">
        {scene.objects.map((object) => (
          <li
            key={object.name}
            role="option"
            aria-selected={selected === object.name}
            tabIndex={0}
            className={`outliner-row${selected === object.name ? ' selected' : ''}${object.hidden ? ' hidden-object' : ''}`}
            onClick={() => on_select(object.name)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                on_select(object.name);
              }
            }}
            title={object.location ? `${object.name} at ${object.location.join(', ')}` : object.name}
          >
            <span className="outliner-icon" aria-hidden="true">
              {TYPE_ICONS[object.type ?? ''] ?? '•'}
            </span>
            <span className="outliner-name">
              {object.parent ? <span className="faint">{object.parent} › </span> : null}
              {object.name}
            </span>
            {object.material && <span className="faint outliner-material">{object.material}</span>}
          </li>
        ))}
      </ul>
      {scene.materials.length > 0 && (
        <>
          <div className="section-label">Materials</div>
          <div className="outliner-tags">{scene.materials.map((name) => <span key={name} className="badge">{name}</span>)}</div>
        </>
      )}
      {scene.collections.length > 0 && (
        <>
          <div className="section-label">Collections</div>
          <div className="outliner-tags">{scene.collections.map((name) => <span key={name} className="badge">{name}</span>)}</div>
        </>
      )}
    </div>
  );
}
