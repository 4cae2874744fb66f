"""The report's words in Japanese and English, and how dates and names are written in each."""

from __future__ import annotations

from datetime import date

import pandas as pd

from setnet.settings import SPECIES

LANGUAGES = ("ja", "en")
DEFAULT_LANG = "ja"  # its files keep the plain names (index.html); another language's carry it (index.en.html)

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "定置網 漁獲予想",
        "forecast_for": "{target}の予想（翌日分）",
        "issued": "発表日",
        "freshness": "使ったデータ",
        "ocean_used": "予想に使った海況",
        "latest_catch": "最新の水揚げ記録",
        "model": "予測モデル",
        "trained_until": "{end}までのデータで学習",
        "unknown": "不明",
        "warn_ocean_old": "海況データが古いです：{ocean}のデータを使っています（発表日の{days}日前）。"
                          "すべての網の予想と急潮の判定の確かさが下がります。",
        "warn_ocean_unknown": "予想に使った海況データの日付が分かりません。",
        "warn_no_catch": "{site}：直近14日間に水揚げの記録がありません（最後の記録：{last}）。予想の確かさが下がります。",
        "never": "記録なし",
        "tomorrow": "明日の予想",
        "how_to_read": "「見込み（平均）」は、明日のような日が何度もあったときの平均の漁獲量です（氷やトラックの手配の目安）。"
                       "理由の kg は、この数字をどれだけ動かしたかです。網が空の日もあるので「空の確率」も見てください。"
                       "「幅」は10回に8回はこの範囲に入る見込みです。外れることもあります。",
        "col_species": "魚種",
        "col_expected": "見込み（平均）",
        "col_range": "幅（10回に8回）",
        "col_recent": "直近7日の平均",
        "col_change": "平均と比べて",
        "no_record": "記録なし",
        "about_same": "ほぼ同じ",
        "more": "{pct}% 多い",
        "less": "{pct}% 少ない",
        "times": "約{ratio}倍",
        "up_from_small": "増える（平均 {kg} kg）",
        "near_zero": "ほぼゼロ",
        "more_kg": "{kg} kg 多い",
        "less_kg": "{kg} kg 少ない",
        "col_latest": "最新の水揚げ",
        "latest_catch_value": "{day} {kg}\u00a0kg",
        "latest_no_operation": "{day} 休漁",
        "latest_none": "水揚げの記録なし",
        "size_counts": "{counts}",
        "size_count": "{size}約{n}本",
        "kyucho_status_label": "急潮",
        "kyucho_status_warning": "警報（{sites}）",
        "kyucho_status_advisory": "注意報（{sites}）",
        "kyucho_status_none": "なし",
        "kyucho_status_more": "くわしく",
        "kyucho_status_unknown": "予想できません：海況予報がありません",
        "kyucho_status_unknown_seen": "予想できません：海況予報がありません（最新の解析では{level}）",
        "kyucho_status_no_data": "判断できません：海況データがありません",
        "level_word_warning": "警報",
        "level_word_advisory": "注意報",
        "summary_latest": "（最新の水揚げ {latest}）",
        "summary_latest_none": "（水揚げの記録なし）",
        "summary_change": "、直近7日の平均と比べて{change}",
        "summary_sizes": "、{counts}",
        "summary_status": "【急潮】{status}",
        "big_catch": "大漁（{threshold}kg以上）{pct}%",
        "big_catch_unsized": "大漁の可能性 {pct}%",
        "empty_chance": "空の確率 {pct}%",
        "range_sep": "〜",
        "list_sep": "・",
        "outlook": "この先{days}日間",
        "outlook_note": "線が見込み（平均）、帯が10回に8回の幅。灰色の点線は直近7日の平均です。"
                        "先の日ほど幅が広く、当たりにくくなります。",
        "outlook_alt": "{site}の先{days}日間の予想",
        "outlook_nothing": "ほぼ 0 kg の見込みのためグラフなし：{species}",
        "map": "水温と潮の流れ（表層・50m）",
        "map_caption": "{day}の海面水温（色）と表層の流れ（矢印、ノット）。● が定置網です。",
        "map_caption_old": "{day}の海面水温（色）と表層の流れ（矢印、ノット）。発表日より{days}日前のデータです。● が定置網です。",
        "map_missing": "{day}以前{lookback}日以内の海況データがないため、地図は表示できません。",
        "map_alt": "海面水温と潮の流れの地図",
        "temp_axis": "水温（°C）",
        "knot_key": "1 ノット",
        "map_currents": "矢印：表層の流れ",
        "track": "最近{days}日の成績",
        "track_note": "前の日に出した翌日の予想（線：見込み（平均）、帯：10回に8回の幅）と、実際の水揚げ（黒い点）。"
                      "点が帯に入っていれば幅の内側です。",
        "track_missing": "最近{days}日の翌日予想が保存されていません。",
        "track_alt": "{species}の予想と実績",
        "inside": "幅の内側 {hits}/{n}日",
        "skill": "検証での実力（翌日予想）",
        "skill_note": "モデル作りに使わなかった{start}〜{end}の毎日に、このモデルと同じ作り方で翌日の予想を出し、"
                      "実際の水揚げで確かめました。予想の外れ方（見込みと幅を合わせて測ります）を、"
                      "「平年並み」（例年の同じ時期の水揚げ）と「前回並み」（前に網を起こした日と同じ量）という"
                      "簡単な予想と比べています。平均誤差は、見込み（平均）と実際の水揚げの差の平均です。",
        "skill_missing": "このモデルの検証結果が保存されていないため、実力の表は省きます。",
        "skill_bay": "湾全体（すべての網）",
        "skill_nets": "{coop}の網ごと",
        "col_net": "網",
        "col_mae": "平均誤差（見込み）",
        "col_vs_climatology": "平年並みと比べて",
        "col_vs_persistence": "前回並みと比べて",
        "col_coverage_caught": "幅に入った割合（漁があった日）",
        "col_coverage": "幅に入った割合（空の日も含む全日）",
        "no_better_than_normal": "季節の平年並みの予想より良いとは言えません",
        "record_line": "{species}：{n}日分の見込みの合計 {forecast} kg、実績の合計 {actual} kg（幅の内側 {hits}/{n}日）",
        "record_model": "{version}（{end}までのデータで学習）",
        "record_models": "この成績の予想を出したモデル：{models}。{honesty}",
        "record_out_of_sample": "どの日も、モデルの学習に使っていない日の予想です。",
        "record_in_sample": "一部は学習に使った日の予想なので、実際より良く見えることがあります。",
        "kyucho_record_title": "急潮の注意報・警報の成績",
        "kyucho_record_period": "{first}〜{last}の{days}日について、1〜4日前に出した注意報・警報を、その日の実際の流れ"
                                "（毎日の海況予報の最初の24時間）と比べました。",
        "kyucho_record_issued": "{site} {title}：{issued}回のうち {hits}回 実際に{strong}（{speed}ノット以上）"
                                "（空振り {false_alarms}回、空振り率 {far}%）",
        "kyucho_record_hits": "{strong}を前もって知らせた割合 {hit_rate}%（見逃し {misses}回）",
        "kyucho_record_gained": "平均 {days}日前から予告",
        "kyucho_record_quiet": "{site} {title}：この期間には出ず、{strong}（{speed}ノット以上）もありませんでした",
        "kyucho_record_unissued": "{site} {title}：この期間には出ていません",
        "kyucho_strong_warning": "強い流れ",
        "kyucho_strong_advisory": "速い流れ",
        "kyucho_record_no_archive": "海況予報（1時間ごと）の記録がないため、急潮の注意報・警報がどれだけ当たったかは"
                                    "まだ確かめられません。",
        "kyucho_record_short": "{site} {tier} {issued}回中{hits}回的中（見逃し{misses}回）",
        "kyucho_record_paper": "{title}（{first}〜{last}）：{nets}",
        "kyucho_record_summary": "これまでの{tier}の成績（{first}〜{last}）：{nets}",
        "kyucho_record_paper_none": "{title}：海況予報の記録がなく、まだ確かめられません",
        "better": "{pct}% 良い",
        "worse": "{pct}% 悪い",
        "equal": "同じくらい",
        "no_value": "—",
        "kg": "kg",
        "axis_kg": "漁獲量（kg）",
        "legend_expected": "見込み（平均）と80%の範囲",
        "legend_actual": "実績",
        "legend_recent": "直近7日の平均",
        "footer": "予想は目安です。海と魚は予想どおりにならないことがあります。成績の欄で当たり外れを確かめてください。",
        "index_title": "定置網 漁獲予想 一覧",
        "index_note": "新しい順",
        "back": "← 一覧へ",
        "issued_evening": "{day}夕方 発表",
        "made_at": "作成 {time}",
        "latest_grid": "最新の海況データ",
        "ocean_forecast": "海況予報",
        "ocean_forecast_issued": "{day}発表",
        "ocean_forecast_none": "なし",
        "warn_model_old": "予測モデルが古いです：{species}のモデルは{days}日前に学習したものです（目安は{limit}日以内）。"
                          "これらの魚種の予想の確かさが下がります。",
        "col_big": "大漁の可能性",
        "boxes": "約{n}箱",
        "why": "理由",
        "colon": "：",
        "alerts": "急潮と水温",
        "kyucho_warning_title": "急潮警報",
        "kyucho_warning_action": "漁獲物を早めに水揚げし、網の一部を上げてください。",
        "kyucho_advisory_title": "急潮注意報",
        "kyucho_advisory_action": "急潮に備えてください（網とロープの点検、作業の段取り）。",
        "kyucho_detail": "{site}：{window}、{level}で{direction}へ 最大{speed}ノット（目安 {threshold}ノット）",
        "window_many": "{first}〜{last}（ピーク {peak}）",
        "window_hours": "{day} {start}〜{end}時",
        "kyucho_detail_hours": "{site}：{window} {direction}へ 最大{speed}ノット（目安 {threshold}ノット）",
        "kyucho_none": "急潮の注意報・警報はありません。いちばん速い流れ：{site} {day} {direction}へ {speed}ノット"
                       "（注意報の目安 {advisory}ノット）。",
        "kyucho_from_forecast": "{issued}発表の海況予報（{first}〜{last}）で判断しています。",
        "kyucho_from_analysis": "海況予報がないため、最新の解析（{day}）の流れと水温で判断しています。"
                                "明日以降の急潮は予想できていません。",
        "kyucho_no_data": "海況データがないため、急潮と水温は判断できません。",
        "daily_mean_note": "流れは1日の平均です。時間によってはもっと速くなることがあります。",
        "hourly_note": "流れは1時間ごとの予報の速さです（潮汐を含みます）。",
        "level_surface": "表層",
        "level_50m": "50m層",
        "temp_alert_title": "いつもと違う水温",
        "temp_alert_action": "魚の入り方がいつもと変わることがあります。",
        "temp_warm": "{site}：{day}の{level}の水温 {temp}°C は平年（{normal}°C）より {gap}°C 高い",
        "temp_cold": "{site}：{day}の{level}の水温 {temp}°C は平年（{normal}°C）より {gap}°C 低い",
        "temp_none": "平年と大きく違う水温はありません（平年との差 {threshold}°C 以内）。",
        "temp_no_normal": "平年の水温がまだ計算できないため、水温の比較はしていません。",
        "map_level_caption": "{day}の{level}の水温（色、°C）と流れ（矢印、ノット）。● が定置網です。",
        "map_level_caption_old": "{day}の{level}の水温（色、°C）と流れ（矢印、ノット）。発表日より{days}日前のデータです。"
                                 "● が定置網です。",
        "map_level_title": "{level}の水温と流れ",
        "map_scale_note": "2枚の地図は同じ色の目盛りです（{lo}〜{hi}°C、{step}°Cごとに1色）。同じ色は同じ水温です。",
        "map_level_alt": "{level}の水温と流れの地図",
        "track_net_alt": "{site}の予想と実績",
        "formats": "ほかの形式",
        "format_pdf": "印刷用 PDF（A4）",
        "format_txt": "文字だけの要約",
        "all_coops": "全漁協のまとめ",
        "coop_pages": "漁協ごとのページ",
        "index_col_date": "発表日",
        "index_col_reports": "予想",
        "summary_title": "【定置網 漁獲予想】{coop}",
        "summary_for": "{target}の予想",
        "summary_issued": "{day}夕方 発表",
        "summary_alert": "【{title}】{detail}",
        "summary_line": "{species} 見込み（平均）{expected} kg{boxes}（{range}）",
        "summary_empty": "、空の確率 {pct}%",
        "summary_big": "、大漁（{threshold}kg以上）{pct}%",
        "summary_big_unsized": "、大漁の可能性 {pct}%",
        "summary_quiet": "ほぼ 0 kg の見込み：{species}",
        "operate_line": "出漁の見込み {pct}%（{words}）",
        "operate_likely": "出られそうです",
        "operate_probably": "たぶん出られます",
        "operate_maybe_not": "休みになるかもしれません",
        "operate_unlikely": "休みになりそうです",
        "summary_operate": "{net}：出漁の見込み {pct}%（{words}）",
        "operate_note": "出漁の見込みは、網を上げられる（休漁にならない）確率です。漁獲の見込みは、網を上げた日の量です。",
        "summary_more": "詳しい予想・グラフ・地図は報告書（HTML・PDF）をご覧ください。予想は目安です。",
        "lon": "経度",
        "lat": "緯度",
    },
    "en": {
        "title": "Set-net catch forecast",
        "forecast_for": "Forecast for {target} (next day)",
        "issued": "Issued",
        "freshness": "Data used",
        "ocean_used": "Ocean data used",
        "latest_catch": "Latest catch record",
        "model": "Model",
        "trained_until": "trained on data up to {end}",
        "unknown": "unknown",
        "warn_ocean_old": "Ocean data is old: the forecast uses {ocean} ({days} days before the issue date). "
                          "Every net's forecast and the swift-current check are less reliable.",
        "warn_ocean_unknown": "The date of the ocean data behind the forecast is unknown.",
        "warn_no_catch": "{site}: no catches recorded in the last 14 days (last record: {last}). "
                         "The forecast is less reliable.",
        "never": "none",
        "tomorrow": "Tomorrow's forecast",
        "how_to_read": "\"Expected (mean)\" is the average catch over many days like tomorrow: the number to plan "
                       "ice and trucks with. The reasons' kg are how much they move it. Nets also come up empty: "
                       "see the chance of an empty net. \"Range\": 8 times in 10 the catch should fall inside. "
                       "It can still miss.",
        "col_species": "Species",
        "col_expected": "Expected (mean)",
        "col_range": "Range (8 in 10)",
        "col_recent": "Last 7 days' average",
        "col_change": "Compared with average",
        "no_record": "no record",
        "about_same": "about the same",
        "more": "{pct}% more",
        "less": "{pct}% less",
        "times": "about {ratio} times",
        "up_from_small": "up (average {kg} kg)",
        "near_zero": "near zero",
        "more_kg": "{kg} kg more",
        "less_kg": "{kg} kg less",
        "col_latest": "Latest catch",
        "latest_catch_value": "{day}: {kg}\u00a0kg",
        "latest_no_operation": "{day}: not hauled",
        "latest_none": "no catch recorded",
        "size_counts": "{counts}",
        "size_count": "about {n} {size}",
        "kyucho_status_label": "Swift current",
        "kyucho_status_warning": "WARNING ({sites})",
        "kyucho_status_advisory": "advisory ({sites})",
        "kyucho_status_none": "none",
        "kyucho_status_more": "details",
        "kyucho_status_unknown": "cannot be forecast: no ocean forecast",
        "kyucho_status_unknown_seen": "cannot be forecast: no ocean forecast (the latest analysis shows a {level})",
        "kyucho_status_no_data": "cannot be judged: no ocean data",
        "level_word_warning": "warning",
        "level_word_advisory": "advisory",
        "summary_latest": " (latest catch {latest})",
        "summary_latest_none": " (no catch recorded)",
        "summary_change": ", against the last 7 days' average: {change}",
        "summary_sizes": ", {counts}",
        "summary_status": "[Swift current] {status}",
        "big_catch": "Big catch ({threshold} kg or more) {pct}%",
        "big_catch_unsized": "Chance of a big catch {pct}%",
        "empty_chance": "Chance of an empty net {pct}%",
        "range_sep": "–",
        "list_sep": ", ",
        "outlook": "Next {days} days",
        "outlook_note": "The line is the expected catch (mean), the band the 8-in-10 range, the grey dashed line "
                        "the last 7 days' average. Further days have wider ranges and miss more often.",
        "outlook_alt": "{site}: forecast for the next {days} days",
        "outlook_nothing": "Not drawn, near 0 kg expected: {species}",
        "map": "Water temperature and currents (surface, 50 m)",
        "map_caption": "Sea surface temperature (colour) and surface currents (arrows, knots) on {day}. "
                       "Dots are the nets.",
        "map_caption_old": "Sea surface temperature (colour) and surface currents (arrows, knots) on {day}, "
                           "{days} days before the issue date. Dots are the nets.",
        "map_missing": "No ocean data within {lookback} days up to {day}: no map.",
        "map_alt": "Map of sea surface temperature and currents",
        "temp_axis": "Temperature (°C)",
        "knot_key": "1 kn",
        "map_currents": "Arrows: surface current",
        "track": "Track record, last {days} days",
        "track_note": "The forecast for the next day (line: expected catch, the mean; band: the 8-in-10 range) "
                      "against the actual catch (black dots). "
                      "A dot inside the band is a catch inside the range.",
        "track_missing": "No next-day forecasts stored for the last {days} days.",
        "track_alt": "{species}: forecasts and catches",
        "inside": "in range {hits}/{n} days",
        "skill": "Tested skill (next-day forecast)",
        "skill_note": "On every day from {start} to {end}, days the model was not built from, next-day forecasts "
                      "made the same way as this model's were checked against the catches. How far they missed "
                      "(the expected catch and its range together) is compared with two simple forecasts: the "
                      "seasonal normal (the usual catch for the time of year) and the last haul (the same as the "
                      "last day the net was hauled). Mean error: the average gap between the expected catch (mean) "
                      "and the catch.",
        "skill_missing": "No evaluation stored for this model: the skill table is left out.",
        "skill_bay": "Whole bay (every net)",
        "skill_nets": "{coop}: net by net",
        "col_net": "Net",
        "col_mae": "Mean error (expected)",
        "col_vs_climatology": "Against the seasonal normal",
        "col_vs_persistence": "Against the last haul",
        "col_coverage_caught": "Inside the range (days with a catch)",
        "col_coverage": "Inside the range (every day, empty nets included)",
        "no_better_than_normal": "This forecast is no better than the seasonal normal.",
        "record_line": "{species}: over {n} days, expected {forecast} kg in total, landed {actual} kg "
                       "(inside the range {hits}/{n} days)",
        "record_model": "{version} (trained on data up to {end})",
        "record_models": "The forecasts of this record were made by: {models}. {honesty}",
        "record_out_of_sample": "None of these days were used to train the model.",
        "record_in_sample": "Some of these days were used to train the model, so the record may look better than it is.",
        "kyucho_record_title": "Swift-current advisories and warnings: their record",
        "kyucho_record_period": "Over the {days} days {first} to {last}: each advisory and warning issued 1–4 days "
                                "ahead, against the current each day turned out to have (the first 24 hours of each "
                                "day's ocean forecast).",
        "kyucho_record_issued": "{site}, {title}: {hits} of {issued} came true, a {strong} ({speed} kn or more) "
                                "({false_alarms} false alarms, {far}% of those issued)",
        "kyucho_record_hits": "{hit_rate}% of the {strong}s were announced ahead ({misses} missed)",
        "kyucho_record_gained": "on average {days} days ahead",
        "kyucho_record_quiet": "{site}, {title}: none issued and no {strong} ({speed} kn or more) in the period",
        "kyucho_record_unissued": "{site}, {title}: none issued in the period",
        "kyucho_strong_warning": "strong current",
        "kyucho_strong_advisory": "fast current",
        "kyucho_record_no_archive": "No archive of hourly ocean forecasts: how often the swift-current advisories and "
                                    "warnings came true cannot be checked yet.",
        "kyucho_record_short": "{site} {tier}: {hits} of {issued} came true ({misses} missed)",
        "kyucho_record_paper": "{title} ({first} to {last}): {nets}",
        "kyucho_record_summary": "Record of past {tier}s ({first} to {last}): {nets}",
        "kyucho_record_paper_none": "Swift-current warnings' record: no forecast archive to check them yet",
        "better": "better by {pct}%",
        "worse": "worse by {pct}%",
        "equal": "about the same",
        "no_value": "—",
        "kg": "kg",
        "axis_kg": "Catch (kg)",
        "legend_expected": "Expected and 80% range",
        "legend_actual": "Actual",
        "legend_recent": "7-day average",
        "footer": "Forecasts are a guide: the sea and the fish do not always follow them. "
                  "Check the track record to see how often they miss.",
        "index_title": "Set-net catch forecasts",
        "index_note": "newest first",
        "back": "← All reports",
        "issued_evening": "Issued the evening of {day}",
        "made_at": "Generated {time}",
        "latest_grid": "Latest ocean data",
        "ocean_forecast": "Ocean forecast",
        "ocean_forecast_issued": "issued {day}",
        "ocean_forecast_none": "none",
        "warn_model_old": "The model is old: the {species} model was trained {days} days ago (limit {limit} days). "
                          "Forecasts of these species are less reliable.",
        "col_big": "Big catch chance",
        "boxes": "about {n} boxes",
        "why": "Why",
        "colon": ": ",
        "alerts": "Swift currents and water temperature",
        "kyucho_warning_title": "Swift-current WARNING (急潮警報)",
        "kyucho_warning_action": "Land the catch early and lift part of the net.",
        "kyucho_advisory_title": "Swift-current advisory (急潮注意報)",
        "kyucho_advisory_action": "Prepare for a swift current: check the net and ropes, plan the work.",
        "kyucho_detail": "{site}: {window}, {level} current toward {direction}, up to {speed} kn "
                         "(threshold {threshold} kn)",
        "window_many": "{first} to {last} (peak {peak})",
        "window_hours": "{day} {start}:00–{end}:00",
        "kyucho_detail_hours": "{site}: {window}, current toward {direction}, up to {speed} kn (threshold {threshold} kn)",
        "kyucho_none": "No swift-current advisory or warning. Fastest current: {site} on {day}, toward {direction} "
                       "at {speed} kn (advisory at {advisory} kn).",
        "kyucho_from_forecast": "Judged from the ocean forecast issued {issued} ({first} to {last}).",
        "kyucho_from_analysis": "No ocean forecast was available: judged from the latest analysis ({day}). "
                                "Swift currents in the days ahead are not forecast.",
        "kyucho_no_data": "No ocean data: swift currents and water temperature cannot be judged.",
        "daily_mean_note": "Currents are daily means; at times within the day they can be faster.",
        "hourly_note": "Currents are the hourly forecast's speeds (tides included).",
        "level_surface": "surface",
        "level_50m": "50 m",
        "temp_alert_title": "Unusual water temperature",
        "temp_alert_action": "Fish may come in differently from usual.",
        "temp_warm": "{site}: {level} temperature {temp}°C on {day} is {gap}°C above normal ({normal}°C)",
        "temp_cold": "{site}: {level} temperature {temp}°C on {day} is {gap}°C below normal ({normal}°C)",
        "temp_none": "No unusual water temperature (within {threshold}°C of normal).",
        "temp_no_normal": "No normal temperature can be computed yet: temperatures are not compared.",
        "map_level_caption": "{level} temperature (colour, °C) and currents (arrows, knots) on {day}. Dots are the nets.",
        "map_level_caption_old": "{level} temperature (colour, °C) and currents (arrows, knots) on {day}, {days} days "
                                 "before the issue date. Dots are the nets.",
        "map_level_title": "{level}: temperature and currents",
        "map_scale_note": "Both maps share one colour scale ({lo}–{hi}°C, one colour per {step}°C): "
                          "the same colour is the same temperature.",
        "map_level_alt": "Map of {level} temperature and currents",
        "track_net_alt": "{site}: forecasts and catches",
        "formats": "Other formats",
        "format_pdf": "PDF for printing (A4)",
        "format_txt": "Plain-text summary",
        "all_coops": "All cooperatives",
        "coop_pages": "Pages per cooperative",
        "index_col_date": "Issued",
        "index_col_reports": "Forecasts",
        "summary_title": "[Set-net catch forecast] {coop}",
        "summary_for": "Forecast for {target}",
        "summary_issued": "issued the evening of {day}",
        "summary_alert": "[{title}] {detail}",
        "summary_line": "{species} expected (mean) {expected} kg{boxes} ({range})",
        "summary_empty": ", chance of an empty net {pct}%",
        "summary_big": ", big catch ({threshold} kg or more) {pct}%",
        "summary_big_unsized": ", big catch {pct}%",
        "summary_quiet": "Near 0 kg expected: {species}",
        "operate_line": "Chance the net goes out {pct}% ({words})",
        "operate_likely": "likely",
        "operate_probably": "probably",
        "operate_maybe_not": "it may stay in",
        "operate_unlikely": "likely to stay in",
        "summary_operate": "{net}: chance the net goes out {pct}% ({words})",
        "operate_note": "The chance the net goes out is the chance it is hauled (not a day off). The catches "
                        "expected are for a day the net is hauled.",
        "summary_more": "Full forecast, charts and maps: see the report (HTML or PDF). Forecasts are a guide.",
        "lon": "Longitude",
        "lat": "Latitude",
    },
}

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def labels_for(lang: str) -> dict[str, str]:
    """The label dictionary of a language ("ja" or "en")."""
    if lang not in LABELS:
        raise ValueError(f"unknown report language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return LABELS[lang]


FILE_NAMES = {"html": "index.html", "pdf": "report.pdf", "txt": "summary.txt"}  # a report's files by format
MANIFEST = "reports.json"  # what a date folder holds (reports/build.py)


def file_name(kind: str, lang: str = DEFAULT_LANG) -> str:
    """A report file's name by format ('html', 'pdf', 'txt') or 'manifest', in a language: 'report.en.pdf'."""
    return localized_name(MANIFEST if kind == "manifest" else FILE_NAMES[kind], lang)


def localized_name(file_name: str, lang: str) -> str:
    """A report file's name in a language: 'index.html' for Japanese, 'index.en.html' for English (so the languages
    sit side by side in one folder and never overwrite each other)."""
    if lang == DEFAULT_LANG:
        return file_name
    stem, dot, suffix = file_name.rpartition(".")
    return f"{stem}.{lang}.{suffix}" if dot else f"{file_name}.{lang}"


def long_day(day: date, lang: str) -> str:
    """A date written in full: 2025年12月1日(月) or Mon 1 Dec 2025."""
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"
    return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def medium_day(day: date, lang: str) -> str:
    """A date without the year: 12月1日(月) or Mon 1 Dec."""
    if lang == "ja":
        return f"{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"
    return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"


def short_day(day: date, lang: str, with_month: bool = True) -> str:
    """A chart tick: 12/1 (or just 1) and the weekday on a second line."""
    weekday = WEEKDAYS_JA[day.weekday()] if lang == "ja" else WEEKDAYS_EN[day.weekday()]
    return f"{day.month}/{day.day}\n{weekday}" if with_month else f"{day.day}\n{weekday}"


def species_names(registry: pd.DataFrame, lang: str) -> dict[str, str]:
    """Species code -> display name, from the warehouse registry, else setnet's SPECIES, else the code."""
    names = {sp.code: (sp.name_en if lang == "en" else sp.name_ja) for sp in SPECIES}
    column = "name_en" if lang == "en" else "name_ja"
    for row in registry.itertuples(index=False):
        name = getattr(row, column)
        if isinstance(name, str) and name.strip():
            names[row.species] = name.strip()
    return names


def site_name(name_ja: object, name_en: object, lang: str) -> str:
    """A net's display name in the language, falling back to the other name."""
    first, second = (name_en, name_ja) if lang == "en" else (name_ja, name_en)
    for name in (first, second):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return ""


def site_names(sites: pd.DataFrame, lang: str) -> dict[str, str]:
    """site_id -> display name in the language (the id when the registry has no name)."""
    return {row.site_id: site_name(row.name_ja, row.name_en, lang) or str(row.site_id)
            for row in sites.itertuples(index=False)}


SIZE_CLASSES_EN = {"ブリ": "buri", "ガンド": "gando", "フクラギ": "fukuragi", "コズクラ": "kozukura"}


def size_class_name(size_class: str, lang: str) -> str:
    """A size class (銘柄) as written in the language: ガンド, or 'gando' in English (the Toyama names)."""
    return SIZE_CLASSES_EN.get(size_class, size_class) if lang == "en" else size_class


def coop_name(coop: str, coop_sites: pd.DataFrame, lang: str) -> str:
    """A cooperative's display name: in English the registry's coop_en (of its first net that has one), else the
    registry's coop (the Japanese name, which also names its folder in every language)."""
    if lang == "en" and "coop_en" in coop_sites:
        names = [n.strip() for n in coop_sites.coop_en if isinstance(n, str) and n.strip()]
        if names:
            return names[0]
    return coop
